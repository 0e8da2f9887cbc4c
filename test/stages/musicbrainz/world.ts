import fs from 'node:fs/promises'
import type { AppDeps } from '../../../src/app.ts'
import type { PlayRow } from '../../../src/stages/ingest/tables.ts'
import { tracksPlayed } from '../../../src/stages/ingest/tables.ts'
import { buildTestApp, makeTempDir, type TestApp } from '../../helpers/build-app.ts'
import { openLake } from '../../helpers/lake.ts'
import { createFakeMusicBrainz, seedTraps, type FakeMusicBrainz, type SpotifySide } from '../../fakes/fake-musicbrainz.ts'
import { spotifyId } from '../../fakes/fake-spotify.ts'

export const contact = 'tests@tracklake.invalid'

/** One play per played track of each Spotify artist (its ISRCs and titles), `extraPlays` more of the first track. */
export function playsOf (sides: readonly SpotifySide[], options: { extraPlays?: (side: SpotifySide) => number, start?: number } = {}): PlayRow[] {
  const start = options.start ?? Date.parse('2026-10-01T00:00:00Z')
  const rows: PlayRow[] = []
  for (const side of sides) {
    const tracks = Math.max(side.isrcs.length, side.titles.length, 1)
    const plays = Array.from({ length: tracks }, (_, i) => i).concat(Array.from({ length: options.extraPlays?.(side) ?? 0 }, () => 0))
    for (const i of plays) {
      const at = new Date(start + rows.length * 240_000).toISOString()
      rows.push({
        play_id: `mbz-play-${rows.length}`,
        user_id: 'me',
        played_at: at,
        ended_at: null,
        track_id: spotifyId(`mbz-track:${side.id}:${i}`),
        track_uri: null,
        track_isrc: side.isrcs[i] ?? null,
        track_name: side.titles[i] ?? side.titles[0] ?? `Untitled ${i}`,
        album_id: null,
        album_name: null,
        artist_id: side.id,
        artist_name: side.name,
        artist_ids: [side.id],
        artist_names: [side.name],
        duration_ms: 200_000,
        ms_played: 200_000,
        counts_as_play: true,
        skipped: null,
        reason_start: null,
        reason_end: null,
        shuffle: null,
        offline: null,
        incognito_mode: null,
        platform: null,
        conn_country: null,
        context_type: null,
        context_uri: null,
        recording_mbid: null,
        artist_mbids: [],
        source: 'spotify-api',
        ingested_at: at,
      })
    }
  }
  return rows
}

export function musicbrainzEnv (url: string, extra: Record<string, string> = {}): Record<string, string> {
  return { MUSICBRAINZ_URL: url, MUSICBRAINZ_CONTACT: contact, MUSICBRAINZ_RATE_PER_SEC: '50', ...extra }
}

/** The real app on a lake that already holds these plays. */
export async function appWithPlays (plays: readonly PlayRow[], env: Record<string, string>, deps: AppDeps = {}, dir?: string): Promise<TestApp & { dir: string }> {
  const dataDir = dir ?? await makeTempDir()
  if (plays.length > 0) {
    const lake = await openLake(dataDir)
    await lake.merge(tracksPlayed, plays)
    await lake.close()
  }
  const app = await buildTestApp(env, deps, dataDir)
  return { ...app, dir: dataDir }
}

/** A clock tests move by hand; `sleep` moves it too, so a 503 slow-down costs its seconds of the wait budget once. */
export function manualClock (start = Date.parse('2026-11-01T00:00:00Z')) {
  let ms = start
  return {
    now: () => new Date(ms),
    sleep: async (wait: number) => { ms += wait },
    advance: (wait: number) => { ms += wait },
  }
}

/** The fake with every trap, and the app on a lake with plays of every trap's Spotify artist. */
export async function trapWorld (options: { deps?: (fake: FakeMusicBrainz) => AppDeps, dir?: string } = {}) {
  const fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
  const { cases, places } = seedTraps(fake)
  const t = await appWithPlays(playsOf(Object.values(cases).map((c) => c.spotify)), musicbrainzEnv(fake.url), options.deps?.(fake) ?? {}, options.dir)
  return {
    fake,
    cases,
    places,
    t,
    async close () {
      await t.close()
      await fs.rm(t.dir, { recursive: true, force: true })
      await fake.close()
    },
  }
}
