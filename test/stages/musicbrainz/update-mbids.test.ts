import fs from 'node:fs/promises'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { tracksPlayed } from '../../../src/stages/ingest/tables.ts'
import { mbzArtistMatch } from '../../../src/stages/musicbrainz/tables.ts'
import { spotifyArtists } from '../../../src/stages/spotify/tables.ts'
import { buildTestApp, makeTempDir, type TestApp } from '../../helpers/build-app.ts'
import { openLake } from '../../helpers/lake.ts'
import { tableRows } from '../../helpers/granular.ts'
import { mbid, play, sid, spotifyPlay } from '../warehouse/rows.ts'

let t: TestApp | undefined
const dirs: string[] = []
afterEach(async () => {
  await t?.close()
  t = undefined
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true })
})

const at = (n: number): string => new Date(Date.parse('2025-03-01T12:00:00Z') + n * 300_000).toISOString()
const artist = (name: string, artistMbid: string | null = null) => ({ artist_id: sid(name), artist_name: name, genres: [], artist_mbid: artistMbid, fetched_at: at(0) })

/**
 * Alpha is matched, Beta has a match row saying it has no MBID, Gamma was given an MBID earlier and has no match row.
 * Plays credit them in several orders; one listen comes from ListenBrainz, one Spotify play was merged with a listen.
 */
async function seededApp (): Promise<TestApp> {
  const dir = await makeTempDir()
  dirs.push(dir)
  const lake = await openLake(dir)
  await lake.merge(spotifyArtists, [artist('Alpha'), artist('Beta'), artist('Gamma', mbid('gamma'))])
  await lake.merge(mbzArtistMatch, [
    { spotify_id: sid('Alpha'), spotify_name: 'Alpha', mbid: mbid('alpha'), mbz_name: 'Alpha', method: 'url-relation', confidence: 1, matched_at: at(0) },
    { spotify_id: sid('Beta'), spotify_name: 'Beta', mbid: null, method: 'manual', matched_at: at(0) },
  ])
  await lake.merge(tracksPlayed, [
    spotifyPlay('p1', at(1), { track: 'One', album: 'First', artists: ['Alpha', 'Beta'] }),
    spotifyPlay('p2', at(2), { track: 'Two', album: 'First', artists: ['Beta', 'Alpha', 'Gamma'] }),
    play({ play_id: 'p3', played_at: at(3), source: 'listenbrainz', track_name: 'Three', artist_name: 'Delta', artist_mbids: [mbid('delta')] }),
    spotifyPlay('p4', at(4), { track: 'Four', album: 'First', artists: ['Alpha'] }, { source: 'spotify-api', recording_mbid: mbid('rec4'), artist_mbids: [mbid('alpha-by-listenbrainz')] }),
    spotifyPlay('p5', at(5), { track: 'Five', album: 'Second', artists: ['Gamma'] }),
    play({ play_id: 'p6', played_at: at(6), track_name: 'Six', artist_name: 'Nobody' }),
    spotifyPlay('p7', at(7), { track: 'Seven', album: 'Second', artists: ['Beta'] }),
    // An old play credits only its primary artist (no list).
    spotifyPlay('p8', at(8), { track: 'Eight', album: 'Second', artists: ['Alpha'] }, { artist_ids: null }),
  ])
  await lake.close()
  t = await buildTestApp({}, {}, dir)
  return t
}

const update = (app: TestApp) => request(app.app.server).post('/v1/musicbrainz/update-mbids')

async function mbidsByPlay (app: TestApp): Promise<Record<string, string[] | null>> {
  const rows = await tableRows(app.app, 'tracks_played')
  return Object.fromEntries(rows.map((r) => [r.play_id, r.artist_mbids]))
}

describe('Update MBIDs', () => {
  it('sets artist MBIDs from the matches and play MBIDs from the credited artists', async () => {
    const app = await seededApp()
    const first = await update(app)
    expect(first.status).toBe(200)
    expect(first.body).toEqual({ done: true, processed: 5, remaining: 0, status: 'complete', artists: 1, plays: 4 })

    const artists = Object.fromEntries((await tableRows(app.app, 'spotify_artists')).map((r) => [r.artist_name, r.artist_mbid]))
    expect(artists).toEqual({ Alpha: mbid('alpha'), Beta: null, Gamma: mbid('gamma') })
    expect(await mbidsByPlay(app)).toEqual({
      p1: [mbid('alpha')],
      p2: [mbid('alpha'), mbid('gamma')],
      p3: [mbid('delta')],
      p4: [mbid('alpha-by-listenbrainz')],
      p5: [mbid('gamma')],
      p6: null,
      p7: null,
      p8: [mbid('alpha')],
    })
  })

  it('is idempotent: a second call changes no row and rewrites no file', async () => {
    const app = await seededApp()
    await update(app)
    const files = [`${app.dataDir}/lake/tracks_played/tracks_played.parquet`, `${app.dataDir}/lake/spotify_artists/spotify_artists.parquet`]
    const before = await Promise.all(files.map((f) => fs.stat(f)))
    const second = await update(app)
    expect(second.body).toMatchObject({ done: true, processed: 0, artists: 0, plays: 0 })
    const after = await Promise.all(files.map((f) => fs.stat(f)))
    expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]))
  })

  it('a match changed by hand moves the artist and its plays to the new MBID', async () => {
    const app = await seededApp()
    await update(app)
    const corrected = { spotify_id: sid('Gamma'), spotify_name: 'Gamma', mbid: mbid('gamma-2'), method: 'manual', matched_at: at(9) }
    const dir = app.dataDir
    await app.app.close()
    const lake = await openLake(dir)
    await lake.merge(mbzArtistMatch, [corrected])
    await lake.close()
    t = await buildTestApp({}, {}, dir)
    expect((await update(t)).body).toMatchObject({ artists: 1, plays: 2 })
    expect(await mbidsByPlay(t)).toMatchObject({ p2: [mbid('alpha'), mbid('gamma-2')], p5: [mbid('gamma-2')] })
  })

  it('a later Spotify re-fetch of an artist keeps the MBID Update MBIDs set (W18)', async () => {
    const app = await seededApp()
    await update(app)
    const refetched = { artist_id: sid('Alpha'), artist_name: 'Alpha (renamed)', genres: ['indie'], popularity: null, fetched_at: at(20) }
    const written = await request(app.app.server).post('/v1/spotify/artists/write').send({ records: [refetched], failures: [] })
    expect(written.status).toBe(200)
    const alpha = (await tableRows(app.app, 'spotify_artists')).find((r) => r.artist_id === sid('Alpha'))
    expect(alpha).toMatchObject({ artist_name: 'Alpha (renamed)', genres: ['indie'], artist_mbid: mbid('alpha') })
    expect((await update(app)).body).toMatchObject({ artists: 0, plays: 0 })
  })
})
