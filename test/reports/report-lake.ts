import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { tracksPlayed } from '../../src/stages/ingest/tables.ts'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'
import { openLake } from '../helpers/lake.ts'
import { play, spotifyPlay } from '../stages/warehouse/rows.ts'
import { artists, now, seedSmallLake, timezone } from '../stages/warehouse/small-lake.ts'

export { artists, now, timezone }

const songA = { track: 'Song A', album: 'Album A', artists: ['Alpha'] }
const songB = { track: 'Song B', album: 'Album B', artists: ['Beta'] }

/**
 * The warehouse tests' small lake (Europe/Berlin, now 2026-02-15 12:00 UTC) with plays around now: two in the last 24
 * hours and one just before them, all in the warehouse; Alpha is masked as "A. Masked".
 */
export const recentPlays = [
  spotifyPlay('r01', '2026-02-15T08:00:00.000Z', songA, { ms_played: 240_000 }),
  spotifyPlay('r02', '2026-02-14T20:00:00.000Z', songB, { ms_played: 150_000 }),
  spotifyPlay('r03', '2026-02-14T11:00:00.000Z', songB, { ms_played: 150_000 }),
]

/** Plays that reach the lake after the build: a polled Alpha play and a ListenBrainz listen of an unknown artist. */
export const playsAfterBuild = [
  spotifyPlay('n01', '2026-02-15T11:00:00.000Z', songA, { ms_played: 180_000, ingested_at: '2026-02-15T12:05:00.000Z', source: 'spotify-api' }),
  play({ play_id: 'n02', played_at: '2026-02-15T11:30:00.000Z', source: 'listenbrainz', track_name: 'Fresh Song', artist_name: 'Newcomer', artist_names: ['Newcomer'], ingested_at: '2026-02-15T12:06:00.000Z' }),
]

export const maskedAlpha = 'A. Masked'

/** The small lake and the recent plays in `dir`, with Alpha's mask in place for the first build. */
export async function seedReportLake (dir: string): Promise<void> {
  await seedSmallLake(dir)
  const lake = await openLake(dir)
  try {
    await lake.merge(tracksPlayed, recentPlays)
  } finally {
    await lake.close()
  }
  await fs.mkdir(path.join(dir, 'seeds'), { recursive: true })
  await fs.writeFile(path.join(dir, 'seeds', 'mask_artists.csv'), `artist_id,mask_name\n${artists.alpha},${maskedAlpha}\n`)
}

/** Adds plays to the lake in `dir` (no app may have it open), as an ingestion after the build would. */
export async function addPlays (dir: string, rows: Array<Record<string, unknown>>): Promise<void> {
  const lake = await openLake(dir)
  try {
    await lake.merge(tracksPlayed, rows)
  } finally {
    await lake.close()
  }
}

/** An app on the report lake; `build` makes its warehouse. */
export async function reportApp (dir: string, env: Record<string, string> = {}): Promise<{ t: TestApp, build (): Promise<void> }> {
  const t = await buildTestApp({ TRACKLAKE_TIMEZONE: timezone, ...env }, { now: () => now }, dir)
  return {
    t,
    async build () {
      const res = await request(t.app.server).post('/v1/warehouse/build').set(env.TRACKLAKE_API_TOKEN ? { authorization: `Bearer ${env.TRACKLAKE_API_TOKEN}` } : {})
      if (res.status !== 200) throw new Error(`the warehouse build failed: ${res.status} ${JSON.stringify(res.body)}`)
    },
  }
}
