import fs from 'node:fs/promises'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFakeMusicBrainz, seedLinkedArtists, type FakeMusicBrainz } from '../../fakes/fake-musicbrainz.ts'
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
