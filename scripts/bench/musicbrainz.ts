import pino from 'pino'
import { catalog } from '../../src/catalog.ts'
import { createLake } from '../../src/lake/lake.ts'
import { tracksPlayed, type PlayRow } from '../../src/stages/ingest/tables.ts'
import { createFakeMusicBrainz, scaleWorld, type FakeMusicBrainz, type ScaleWorld } from '../../test/fakes/fake-musicbrainz.ts'
import { spotifyId } from '../../test/fakes/fake-spotify.ts'
import { ok } from '../lib/http.ts'
import { memoryOf, type Service } from '../lib/service.ts'
import type { Report } from './report.ts'

export const newArtists = 1000
const linkedShare = 0.8
const places = 300
/** The fake's rate and MUSICBRAINZ_RATE_PER_SEC: the ratios are what count, and 20/s keeps the bench short. */
export const ratePerSec = 20
/**
 * How early a request may reach the fake (its GCRA tolerance). At 20/s the default, half the 50 ms interval, is less
 * than the jitter of a loaded 2-core machine, where the fake's own searches delay the next arrival by tens of ms; at
 * MusicBrainz's 1/s the default is 500 ms. A client at twice the rate still gets 503s within 10 requests.
 */
const toleranceMs = 250
const hierarchyCallsAtMost = 50

/** Plays of every artist of the world: one per played track (its ISRC and title), the first artists played more. */
function playsOf (world: ScaleWorld): PlayRow[] {
  const start = Date.parse('2026-01-01T00:00:00Z')
  const rows: PlayRow[] = []
  world.artists.forEach((artist, a) => {
    const extra = a < 100 ? 3 : 0
    artist.spotify.isrcs.forEach((isrc, t) => {
      for (let k = 0; k <= (t === 0 ? extra : 0); k++) {
        const at = new Date(start + rows.length * 200_000).toISOString()
        rows.push({
          play_id: `bench-mbz-${rows.length}`,
          user_id: 'me',
          played_at: at,
          ended_at: null,
          track_id: spotifyId(`bench-mbz-track:${a}:${t}`),
          track_uri: null,
          track_isrc: isrc,
          track_name: artist.spotify.titles[t] ?? null,
          album_id: null,
          album_name: null,
          artist_id: artist.spotify.id,
          artist_name: artist.spotify.name,
          artist_ids: [artist.spotify.id],
          artist_names: [artist.spotify.name],
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
    })
  })
  return rows
}

export interface MusicBrainzBench {
  fake: FakeMusicBrainz
  world: ScaleWorld
  env: Record<string, string>
  /** fills the data dir with the plays of the world's artists before the service starts */
  prepare (dataDir: string): Promise<void>
}

export async function musicbrainzBench (): Promise<MusicBrainzBench> {
  const fake = await createFakeMusicBrainz({ ratePerSec, toleranceMs })
  const world = scaleWorld(fake, { artists: newArtists, linkedShare, places })
  // The fake's search analysis is its own cost, not the service's.
  fake.warm()
  return {
    fake,
    world,
    env: { MUSICBRAINZ_URL: fake.url, MUSICBRAINZ_CONTACT: 'bench@tracklake.invalid', MUSICBRAINZ_RATE_PER_SEC: String(ratePerSec) },
    async prepare (dataDir) {
      const lake = await createLake({ dataDir, log: pino({ level: 'silent' }), tables: catalog })
      await lake.merge(tracksPlayed, playsOf(world))
      await lake.close()
    },
  }
}

interface Timed { ms: number }

/**
 * The MusicBrainz stage over HTTP, as its four workflows drive it: discover, match in batches (plan, fetch, write), parse,
 * hierarchy until done. Reports calls per artist and per area, 503s, wall time against the rate's ideal, peak RSS.
 */
export async function measureMusicBrainz (report: Report, bench: MusicBrainzBench, service: Service, progress: (message: string) => void): Promise<void> {
  const { fake, world } = bench
  const url = service.url
  const started = Date.now()
  /** time spent in the calls that use the MusicBrainz budget (fetches, hierarchy), against the rest (plans, writes, parse) */
  const matching: Timed = { ms: 0 }
  const walking: Timed = { ms: 0 }
  const other: Timed = { ms: 0 }
  const timed = async (into: Timed, path: string, json: unknown) => {
    const answer = await ok(url, 'POST', path, { json })
    into.ms += answer.ms
    return answer.body
  }

  progress('musicbrainz: discover')
  const discovered = await timed(other, '/v1/musicbrainz/discover', {})
  report.check('musicbrainz: discover finds the new artists', discovered.new === newArtists, String(discovered.new), String(newArtists))

  progress('musicbrainz: matching (plan, fetch, write per batch)')
  const plan = await timed(other, '/v1/musicbrainz/artists/plan', {})
  let records = 0
  let failures = 0
  let nonComplete = 0
  for (const batch of plan.batches as Array<{ planId: string, offset: number, limit: number }>) {
    const fetched = await timed(matching, '/v1/musicbrainz/artists/fetch', batch)
    records += fetched.records.length
    failures += fetched.failures.length
    if (fetched.status !== 'complete') nonComplete++
    await timed(other, '/v1/musicbrainz/artists/write', { records: fetched.records, failures: fetched.failures, planId: batch.planId, offset: batch.offset })
  }
  const matchingCalls = fake.calls('url') + fake.calls('recording') + fake.calls('artist') + fake.calls('genre')
  report.check('musicbrainz: planned / matched / missed', plan.total === newArtists && records === newArtists && failures === 0 && nonComplete === 0,
    `${plan.total} / ${records} / ${failures} in ${plan.batches.length} batches`, `${newArtists} / ${newArtists} / 0`)

  progress('musicbrainz: parse')
  const parsed = await timed(other, '/v1/musicbrainz/parse', {})
  report.check('musicbrainz: parse after enrichment finds it done', parsed.done === true && parsed.artists === 0, `done ${parsed.done}, ${parsed.artists} changed`, 'done true, 0 changed')

  progress('musicbrainz: area hierarchy until done')
  let hierarchyCalls = 0
  let rows = 0
  for (let done = false; !done && hierarchyCalls < hierarchyCallsAtMost; hierarchyCalls++) {
    const answer = await timed(walking, '/v1/musicbrainz/areas/hierarchy', { maxSeconds: 300 })
    rows += answer.hierarchyRows
    done = answer.done
  }
  const wall = Date.now() - started
  const ownAreas = new Set(world.artists.flatMap((a) => a.areaIds))
  report.check('musicbrainz: hierarchy rows (the artists\' own areas)', rows === ownAreas.size, String(rows), String(ownAreas.size))

  const calls = fake.calls()
  const areaCalls = fake.calls('area')
  const ideal = calls / ratePerSec * 1000
  const perArtist = (n: number): string => (n / newArtists).toFixed(3)
  report.compare('musicbrainz: calls per new artist for matching, details, genres', `${perArtist(matchingCalls)} (${matchingCalls} calls / ${newArtists})`, '≤ 0.1 (the original: 2)', matchingCalls / newArtists <= 0.1)
  report.compare('musicbrainz: area calls ÷ distinct new areas incl. ancestors', `${(areaCalls / world.areaIds.size).toFixed(2)} (${areaCalls} / ${world.areaIds.size})`, '1.0', areaCalls === world.areaIds.size)
  report.info('musicbrainz: calls per new artist in all', `${perArtist(calls)} (${calls} calls)`)
  report.compare('musicbrainz: 503s seen', String(fake.served503), '0', fake.served503 === 0)
  report.compare('musicbrainz: wall time ÷ (calls ÷ rate), whole run', `${(wall / ideal).toFixed(2)} (${(wall / 1000).toFixed(1)} s / ${(ideal / 1000).toFixed(1)} s at ${ratePerSec}/s)`, '≤ 1.10', wall / ideal <= 1.1)
  const bound = matching.ms + walking.ms
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
  report.info('musicbrainz: of it, the steps that call MusicBrainz ÷ (calls ÷ rate)', `${(bound / ideal).toFixed(2)} (${seconds(bound)} / ${seconds(ideal)})`)
  report.info('musicbrainz: matching fetches / hierarchy calls, ÷ their calls ÷ rate', `${seconds(matching.ms)} (${(matching.ms / (matchingCalls / ratePerSec * 1000)).toFixed(2)}) / ${seconds(walking.ms)} (${(walking.ms / (areaCalls / ratePerSec * 1000)).toFixed(2)})`)
  report.info('musicbrainz: plans, writes, parse, discover (lake work between the calls)', seconds(other.ms))
  // What is not pacing (lake work, round trips longer than a slot) does not grow with the interval between calls.
  const beyond = Math.max(wall - ideal, 0)
  report.info('musicbrainz: whole run at MusicBrainz\'s 1/s, projected', `≤ ${((calls * 1000 + beyond) / (calls * 1000)).toFixed(2)} (${calls} s of calls + the ${seconds(beyond)} spent beyond pacing here)`)
  report.info('musicbrainz: hierarchy calls until done', String(hierarchyCalls))
  report.memory('musicbrainz: service peak RSS (VmHWM)', memoryOf(service.pid).peak)
}
