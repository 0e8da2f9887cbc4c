import fs from 'node:fs/promises'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFakeMusicBrainz, seedLinkedArtists, type FakeMusicBrainz } from '../../fakes/fake-musicbrainz.ts'
import { buildTestApp } from '../../helpers/build-app.ts'
import { exportEntry } from '../../helpers/export.ts'
import { runStep } from '../../helpers/granular.ts'
import { appWithPlays, musicbrainzEnv, playsOf } from './world.ts'

describe('POST /v1/musicbrainz/discover', () => {
  let fake: FakeMusicBrainz
  let t: Awaited<ReturnType<typeof appWithPlays>>
  const now = new Date('2026-11-01T12:00:00Z')
  const discover = (body: object = {}) => request(t.app.server).post('/v1/musicbrainz/discover').send(body)

  beforeAll(async () => {
    fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const linked = seedLinkedArtists(fake, 3).map((a) => ({ id: a.spotifyId, name: a.name, isrcs: [], titles: ['Song'] }))
    const unknown = [{ id: 'UnknownArtist000000001', name: 'Nobody Knows', isrcs: [], titles: ['Song'] }]
    // Two linked artists and the unknown one were played a year ago; the third linked one an hour ago, three times.
    const old = playsOf([linked[0]!, linked[1]!, ...unknown], { start: Date.parse('2025-11-01T00:00:00Z') })
    const recent = playsOf([linked[2]!], { start: now.getTime() - 3_600_000, extraPlays: () => 2 }).map((p, i) => ({ ...p, play_id: `recent-${i}` }))
    t = await appWithPlays([...old, ...recent], musicbrainzEnv(fake.url), { now: () => now })
  })
  afterAll(async () => {
    await t.close()
    await fs.rm(t.dir, { recursive: true, force: true })
    await fake.close()
  })

  it('counts the played artists not matched yet over the whole history, most played first in the sample, and calls nobody', async () => {
    const answer = await discover()
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ done: true, status: 'complete', played: 4, matched: 0, waiting: 0, new: 4, newPlays: 6 })
    expect(answer.body.sample[0]).toEqual({ spotify_id: expect.any(String), name: 'linked artist 2', plays: 3 })
    expect(fake.calls()).toBe(0)
  })

  it('looks only at the last hours when asked', async () => {
    expect((await discover({ sinceHours: 24 })).body).toMatchObject({ played: 1, new: 1, newPlays: 3 })
    expect((await discover({ sinceHours: 0 })).status).toBe(400)
  })

  it('leaves out matched artists and those waiting in backoff', async () => {
    await runStep(t.app, '/v1/musicbrainz/artists')
    expect((await discover()).body).toMatchObject({ played: 4, matched: 3, waiting: 1, new: 0, newPlays: 0, sample: [] })
  })
})

describe('MusicBrainz discovery and planning after an import', () => {
  it('wait for imported plays to take their artists from a track write (the refill), instead of missing them', async () => {
    const fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
    // The refill a track write asks for is never fired by a timer here: only a reader that waits for it runs it.
    const t = await buildTestApp(musicbrainzEnv(fake.url), { refillScheduler: () => ({ cancel: () => {} }) })
    try {
      const entries = [0, 1, 2].map((i) => exportEntry({ ts: `2025-01-0${i + 1}T10:00:00Z`, spotify_track_uri: 'spotify:track:TrackOfThePell00000001' }))
      expect((await request(t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/json').send(entries)).status).toBe(200)
      const track = { track_id: 'TrackOfThePell00000001', track_name: 'Song', artist_id: 'ArtistPellHarrow000001', artist_name: 'Pell Harrow', album_id: 'AlbumOfThePell00000001', album_name: 'Album', fetched_at: '2026-11-01T00:00:00Z' }
      expect((await request(t.app.server).post('/v1/spotify/tracks/write').send({ records: [track] })).status).toBe(200)

      expect((await request(t.app.server).post('/v1/musicbrainz/discover').send({})).body).toMatchObject({ played: 1, new: 1, newPlays: 3 })
      expect((await request(t.app.server).post('/v1/musicbrainz/artists/plan').send({})).body).toMatchObject({ total: 1 })
    } finally {
      await t.close()
      await fake.close()
    }
  })
})
