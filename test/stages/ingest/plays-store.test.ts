import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pairCandidates, storesOtherSources, writePlays } from '../../../src/stages/ingest/plays-store.ts'
import { createFakeListenBrainz, type FakeListenBrainz } from '../../fakes/fake-listenbrainz.ts'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from '../../fakes/fake-spotify.ts'
import { buildTestApp, spotifyEnv, type TestApp } from '../../helpers/build-app.ts'
import { exportEntry } from '../../helpers/export.ts'
import { lakePerTest } from '../../helpers/lake.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const exportTs = (ms: number) => iso(Math.floor(ms / 1000) * 1000).replace('.000', '')

describe('one identity per play across sources', () => {
  let spotify: FakeSpotify
  let lb: FakeListenBrainz
  let t: TestApp
  let tracks: Array<{ id: string, name: string, artist: string, album: string }>

  beforeEach(async () => {
    spotify = await createFakeSpotify()
    lb = await createFakeListenBrainz()
    seedCatalog(spotify, { artists: 3 })
    tracks = [...spotify.tracks.values()].map((tr) => ({ id: tr.id, name: tr.name, artist: tr.artists[0].name, album: tr.album.name }))
    t = await buildTestApp({ ...spotifyEnv(spotify.url), LISTENBRAINZ_URL: lb.url, LISTENBRAINZ_USER: lb.user })
  })

  afterEach(async () => {
    await t.close()
    await spotify.close()
    await lb.close()
  })

  const poll = () => request(t.app.server).post('/v1/ingest/recently-played')
  const importEntries = (entries: unknown[]) => request(t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/json').send(JSON.stringify(entries))
  const rows = async () => ((await request(t.app.server).get('/v1/tables/tracks_played?limit=1000')).body.rows as Array<Record<string, any>>)
    .sort((a, b) => a.played_at.localeCompare(b.played_at))
  const polledPlay = (track: number, at: number) => spotify.plays.push({ played_at: iso(at), track: spotify.tracks.get(tracks[track]!.id)!, context: null })
  const entryFor = (track: number, endMs: number, msPlayed: number) => exportEntry({
    ts: exportTs(endMs),
    ms_played: msPlayed,
    spotify_track_uri: `spotify:track:${tracks[track]!.id}`,
    master_metadata_track_name: tracks[track]!.name,
    master_metadata_album_artist_name: tracks[track]!.artist,
    master_metadata_album_album_name: tracks[track]!.album,
  })

  const base = Date.parse('2026-10-01T08:00:00.000Z')

  it('a polled play seen again in the export is stored once, whether played_at marked its end or its start', async () => {
    polledPlay(0, base + 1_234) // Spotify's played_at at the end of the stream
    polledPlay(1, base + 400_000) // … or at its start
    polledPlay(2, base + 800_000) // not in the export
    expect((await poll()).body.inserted).toBe(3)
    const res = await importEntries([
      entryFor(0, base + 1_234 + 900, 200_000),
      entryFor(1, base + 400_000 + 185_000, 183_500),
      entryFor(2, base + 2_000_000, 90_000), // same track, much later: a different play
    ])
    expect(res.body).toMatchObject({ rows: 3, inserted: 1, duplicates: 2 })
    const stored = await rows()
    expect(stored).toHaveLength(4)
    const [first, second] = stored
    expect(first).toMatchObject({ source: 'spotify-api', played_at: iso(base + 1_234), ms_played: 200_000, track_isrc: expect.any(String), reason_end: 'endplay' })
    expect(second).toMatchObject({ source: 'spotify-api', played_at: iso(base + 400_000), ms_played: 183_500 })
    const again = await importEntries([
      entryFor(0, base + 1_234 + 900, 200_000),
      entryFor(1, base + 400_000 + 185_000, 183_500),
      entryFor(2, base + 2_000_000, 90_000),
    ])
    expect(again.body).toMatchObject({ inserted: 0, duplicates: 3 })
    expect(await rows()).toEqual(stored)
  })

  it('an exported play polled afterwards keeps the polled row and the export\'s ms_played', async () => {
    await importEntries([entryFor(0, base + 200_000, 199_000), entryFor(1, base + 500_000, 20_000)])
    polledPlay(0, base + 200_000 - 199_000 + 1_500)
    const res = await poll()
    expect(res.body).toMatchObject({ fetched: 1, inserted: 0, duplicates: 1 })
    const stored = await rows()
    expect(stored).toHaveLength(2)
    expect(stored[0]).toMatchObject({ source: 'spotify-api', ms_played: 199_000, ended_at: iso(base + 200_000), artist_id: expect.any(String), counts_as_play: true })
    // Track 1 was never polled: its short play stays as imported, waiting for track resolution.
    expect(stored[1]).toMatchObject({ source: 'spotify-export', artist_id: null, counts_as_play: false })
  })

  it('pairs a track played twice in a row first with first', async () => {
    const length = 180_000
    polledPlay(0, base + length)
    polledPlay(0, base + 2 * length)
    await poll()
    const res = await importEntries([entryFor(0, base + length, length), entryFor(0, base + 2 * length, length)])
    expect(res.body).toMatchObject({ inserted: 0, duplicates: 2 })
    expect((await rows()).map((r) => r.ended_at)).toEqual([iso(base + length), iso(base + 2 * length)])
  })

  it('matches a ListenBrainz listen without a Spotify id by artist and track name', async () => {
    polledPlay(2, base + 10_000)
    await poll()
    lb.listens.push(
      { listened_at: Math.floor((base + 14_000) / 1000), track_metadata: { artist_name: tracks[2]!.artist.toUpperCase(), track_name: tracks[2]!.name, additional_info: { submission_client: 'navidrome' } } },
      { listened_at: Math.floor((base + 900_000) / 1000), track_metadata: { artist_name: 'Local Band', track_name: 'Garage Tape', release_name: 'Demo' } }
    )
    const res = await request(t.app.server).post('/v1/ingest/listenbrainz')
    expect(res.body).toMatchObject({ fetched: 2, inserted: 1, duplicates: 1 })
    const stored = await rows()
    expect(stored.map((r) => r.source)).toEqual(['spotify-api', 'listenbrainz'])
  })

  it('pairs candidates one to one, earliest first', () => {
    expect(pairCandidates([
      { new_id: 'n1', old_id: 'o1' },
      { new_id: 'n1', old_id: 'o2' },
      { new_id: 'n2', old_id: 'o1' },
      { new_id: 'n2', old_id: 'o2' },
      { new_id: 'n3', old_id: 'o2' },
    ])).toEqual([{ new_id: 'n1', old_id: 'o1' }, { new_id: 'n2', old_id: 'o2' }])
  })
})

describe('storesOtherSources', () => {
  const current = lakePerTest()
  const play = (source: 'spotify-export' | 'listenbrainz', n: number) => ({
    play_id: `${source}-${n}`, user_id: 'me', played_at: `2026-01-0${n}T10:00:00.000Z`, source, ingested_at: '2026-02-01T00:00:00.000Z', counts_as_play: true,
  })

  it('says whether the lake holds plays of another source (an import then matches plays across sources)', async () => {
    const { lake } = current
    expect(await storesOtherSources(lake, 'spotify-export')).toBe(false)
    await writePlays(lake, { plays: [play('spotify-export', 1)], source: 'test', at: '2026-02-01T00:00:00.000Z' })
    expect(await storesOtherSources(lake, 'spotify-export')).toBe(false)
    expect(await storesOtherSources(lake, 'listenbrainz')).toBe(true)
    await writePlays(lake, { plays: [play('listenbrainz', 2)], source: 'test', at: '2026-02-01T00:00:00.000Z' })
    expect(await storesOtherSources(lake, 'spotify-export')).toBe(true)
  })
})
