// Upstream storms: every upstream misbehaves in every way it can. Each call ends in a clear status (complete,
// rate_limited, or an UPSTREAM_* error saying whether to retry), the service keeps answering /health meanwhile, nothing
// is marked "not found" because of a fault, and once the storm passes the same call finishes the work.
import { setTimeout as sleep } from 'node:timers/promises'
import { errorTable } from '../../src/errors.ts'
import type { FakeServer, Fault, Matcher } from '../../test/fakes/fake-server.ts'
import { call, type Answer } from '../lib/http.ts'
import { routeExists } from './kill.ts'
import type { Section, Suite } from './suite.ts'
import { createWorld, drainGranular, drainSimple, logErrors, must, seedResolvedPlays, type World, type WorldSpec } from './world.ts'

export interface StormContext {
  world: World
  section: Section
  name: string
  memory: Record<string, any>
}

/** One upstream-bound call of the service, and what it takes to give it fresh work before each storm. */
export interface StormTarget {
  name: string
  /** a 404 ROUTE_NOT_FOUND here skips the target, loudly, until its stage is merged */
  route: { method: string, path: string }
  world: WorldSpec
  /** the fake upstream that misbehaves, and which of its requests the faults hit */
  fake (ctx: StormContext): FakeServer
  match: Matcher
  setup (ctx: StormContext): Promise<void>
  /** new work for the next storm (plays to poll, artists to plan) */
  prepare (ctx: StormContext, round: number): Promise<void>
  /** the call that meets the storm */
  call (ctx: StormContext): Promise<Answer>
  /** what a workflow does with a 200 (writes the records and failures it got) */
  after? (ctx: StormContext, answer: Answer): Promise<void>
  /** after the storm passed and the call ran again: nothing lost, nothing marked missing */
  check (ctx: StormContext, round: number): Promise<string[]>
  /** the fake's requests so far (to see that a paused upstream is not called) */
  upstreamCalls (ctx: StormContext): number
  /** storms this upstream has besides the common ones (a MusicBrainz 503 storm means "slow down") */
  extraStorms?: Storm[]
}

type Outcome = string

export interface Storm {
  name: string
  fault: Fault
  /** consecutive matching upstream requests that meet the fault */
  times: number
  /** outcomes that are right: the answer's `status` for a 200, its error code otherwise */
  expect: Outcome[]
  /** the upstream asked to wait longer than a call can: the next call answers rate_limited without calling it */
  pauses?: boolean
}

const hugeRetryAfter = 86_400
const serviceTimeoutTries = 3

/** The storms every upstream meets, cheapest first; those that pause the upstream come last. */
export const commonStorms: Storm[] = [
  { name: '5xx-burst-retried', fault: { kind: 'status', status: 500 }, times: 2, expect: ['complete'] },
  { name: '5xx-storm', fault: { kind: 'status', status: 502 }, times: 10, expect: ['UPSTREAM_FAILED'] },
  { name: '503-storm', fault: { kind: 'status', status: 503 }, times: 10, expect: ['UPSTREAM_FAILED', 'rate_limited'] },
  { name: 'malformed-json', fault: { kind: 'malformed' }, times: 10, expect: ['UPSTREAM_FAILED'] },
  { name: 'truncated-json', fault: { kind: 'truncated' }, times: 10, expect: ['UPSTREAM_FAILED'] },
  { name: 'reset-mid-body-once', fault: { kind: 'reset' }, times: 1, expect: ['complete'] },
  { name: 'reset-mid-body', fault: { kind: 'reset' }, times: 10, expect: ['UPSTREAM_FAILED'] },
  // 16 bytes every 400 ms: the first answer outlasts the service's 15 s timeout, the retry gets the real one.
  { name: 'slow-body', fault: { kind: 'slow', intervalMs: 400, chunkBytes: 16 }, times: 1, expect: ['complete'] },
  { name: 'timeout', fault: { kind: 'hang' }, times: serviceTimeoutTries, expect: ['UPSTREAM_TIMEOUT'] },
  { name: '429-short', fault: { kind: 'status', status: 429, retryAfter: 1 }, times: 2, expect: ['complete'] },
  { name: '429-huge-retry-after', fault: { kind: 'status', status: 429, retryAfter: hugeRetryAfter }, times: 1, expect: ['rate_limited'], pauses: true },
]

/** complete / rate_limited for a 200, the error code otherwise; undefined when the answer says neither clearly. */
function outcomeOf (answer: Answer): Outcome | undefined {
  if (answer.status === 200) {
    const status = answer.body?.status
    if (status === 'complete') return status
    if (status === 'rate_limited') return Number.isInteger(answer.body.retryAfterSeconds) ? status : undefined
    return undefined
  }
  const code = answer.body?.code as keyof typeof errorTable | undefined
  const entry = code ? errorTable[code] : undefined
  if (!entry || entry.status !== answer.status || typeof answer.body.retryable !== 'boolean' || !answer.body.message) return undefined
  return code
}

async function runTarget (section: Section, target: StormTarget): Promise<void> {
  const world = await createWorld(`storm-${target.name}`, target.world)
  const ctx: StormContext = { world, section, name: target.name, memory: {} }
  const fake = (): FakeServer => target.fake(ctx)
  try {
    if (!await routeExists(world.service, target.route)) {
      section.skip(target.name, `${target.route.method} ${target.route.path} answers 404 ROUTE_NOT_FOUND on this build; it runs once the stage is merged`)
      return
    }
    await target.setup(ctx)
    const storms = [...(target.extraStorms ?? []), ...commonStorms]
    let round = 0
    for (const storm of storms) {
      const name = `${target.name}:${storm.name}`
      if (!section.selected(name)) continue
      await target.prepare(ctx, round)
      fake().fault(target.match, storm.fault, storm.times)
      section.trial(name)
      const answering = target.call(ctx)
      // The service keeps serving while one of its calls waits on a stormy upstream.
      await Promise.race([answering, sleep(300)])
      const health = await call(world.service.url, 'GET', '/health', undefined, { timeoutMs: 5000 }).catch(() => undefined)
      if (health?.status !== 200) section.violation(name, `GET /health answered ${health?.status ?? 'nothing within 5 s'} during the storm`)
      const answer = await answering
      const outcome = outcomeOf(answer)
      section.count(target.name, `${storm.name} → ${outcome ?? `unclear ${answer.status}`}`)
      if (outcome === undefined) section.violation(name, `the call answered ${answer.status} without a clear status: ${answer.text.slice(0, 300)}`)
      else if (!storm.expect.includes(outcome)) section.violation(name, `the call answered ${outcome}, expected ${storm.expect.join(' or ')}: ${answer.text.slice(0, 300)}`)
      if (answer.status === 200) await target.after?.(ctx, answer)
      fake().reset()

      if (storm.pauses) {
        const before = target.upstreamCalls(ctx)
        const again = await target.call(ctx)
        if (outcomeOf(again) !== 'rate_limited' || target.upstreamCalls(ctx) !== before) {
          section.violation(name, `while the upstream asked to wait ${hugeRetryAfter} s, the next call answered ${outcomeOf(again) ?? again.status} after ${target.upstreamCalls(ctx) - before} upstream calls`)
        }
        // The pause lives in the process: a restart (as after a deploy) lifts it, and the work then finishes.
        await world.restart()
      }
      // Once the storm passes: a short pause it left (a MusicBrainz slow-down) is waited out, as the next n8n run would.
      let recovered = await target.call(ctx)
      for (let waits = 0; waits < 2 && outcomeOf(recovered) === 'rate_limited' && recovered.body.retryAfterSeconds <= 60; waits++) {
        await sleep(recovered.body.retryAfterSeconds * 1000 + 500)
        recovered = await target.call(ctx)
      }
      if (outcomeOf(recovered) !== 'complete') section.violation(name, `after the storm the call answered ${recovered.status}: ${recovered.text.slice(0, 300)}`)
      else await target.after?.(ctx, recovered)
      for (const problem of await target.check(ctx, round)) section.violation(name, problem)
      round++
    }
  } catch (err) {
    section.violation(target.name, `the target stopped: ${(err as Error).stack ?? err}`)
  } finally {
    logErrors(section, target.name, world)
    await world.close()
  }
}

const granularCall = (ctx: StormContext, prefix: string): Promise<Answer> =>
  ctx.section.call(ctx.name, ctx.world.service, 'POST', `${prefix}/fetch`, { json: { planId: ctx.memory.planId, offset: 0 } }, { expect: [502, 503, 504] })

/** Writes a fetch's records and failures, as the enrichment workflows do after every fetch. */
async function writeFetched (ctx: StormContext, prefix: string, answer: Answer): Promise<void> {
  const { records, failures } = answer.body
  ctx.memory.failuresAnswered = (ctx.memory.failuresAnswered ?? 0) + failures.length
  await must(ctx.section, ctx.name, ctx.world.service, 'POST', `${prefix}/write`, { json: { records, failures } })
}

async function tableTotal (ctx: StormContext, table: string): Promise<number> {
  const answer = await must(ctx.section, ctx.name, ctx.world.service, 'GET', `/v1/tables/${table}?limit=1`)
  return Number(answer?.body.total ?? -1)
}

/** No entity in the failure memory, and none answered as a failure: every entity exists upstream. */
async function nothingMissing (ctx: StormContext): Promise<string[]> {
  const problems: string[] = []
  const failures = await tableTotal(ctx, 'enrichment_failures')
  if (failures !== 0) problems.push(`${failures} entities are in enrichment_failures, though every one exists upstream`)
  if (ctx.memory.failuresAnswered > 0) problems.push(`fetches answered ${ctx.memory.failuresAnswered} failures for entities that exist upstream`)
  return problems
}

const batch = 5

const spotifyFetch: StormTarget = {
  name: 'spotify-fetch',
  route: { method: 'POST', path: '/v1/spotify/artists/fetch' },
  world: { spotifyArtists: 20 * batch },
  fake: (ctx) => ctx.world.spotify!.server,
  match: (request) => request.path.startsWith('/v1/artists/'),
  setup: (ctx) => seedResolvedPlays(ctx.section, ctx.name, ctx.world),
  async prepare (ctx) {
    const plan = await must(ctx.section, ctx.name, ctx.world.service, 'POST', '/v1/spotify/artists/plan', { json: { limit: batch, batchSize: batch } })
    ctx.memory.planId = plan?.body.planId
  },
  call: (ctx) => granularCall(ctx, '/v1/spotify/artists'),
  after: (ctx, answer) => writeFetched(ctx, '/v1/spotify/artists', answer),
  async check (ctx, round) {
    const problems = await nothingMissing(ctx)
    const stored = await tableTotal(ctx, 'spotify_artists')
    if (stored !== (round + 1) * batch) problems.push(`spotify_artists holds ${stored} artists after ${round + 1} storms of ${batch}`)
    return problems
  },
  upstreamCalls: (ctx) => ctx.world.spotify!.catalogCalls('artists'),
}

const playsPerRound = 5

const spotifyPoll: StormTarget = {
  name: 'spotify-poll',
  route: { method: 'POST', path: '/v1/ingest/recently-played' },
  world: { spotifyArtists: 5 },
  fake: (ctx) => ctx.world.spotify!.server,
  match: '/v1/me/player/recently-played',
  async setup () {},
  async prepare (ctx, round) {
    const tracks = [...ctx.world.spotify!.tracks.values()]
    for (let i = 0; i < playsPerRound; i++) {
      ctx.world.spotify!.plays.push({ played_at: new Date(Date.UTC(2026, 5, 1) + (round * playsPerRound + i) * 300_000).toISOString(), track: tracks[i]!, context: null })
    }
  },
  call: (ctx) => ctx.section.call(ctx.name, ctx.world.service, 'POST', '/v1/ingest/recently-played', undefined, { expect: [502, 503, 504] }),
  async check (ctx, round) {
    const stored = await tableTotal(ctx, 'tracks_played')
    return stored === (round + 1) * playsPerRound ? [] : [`tracks_played holds ${stored} plays, Spotify played ${(round + 1) * playsPerRound}`]
  },
  upstreamCalls: (ctx) => ctx.world.spotify!.server.count('/v1/me/player/recently-played'),
}

const listenBrainz: StormTarget = {
  name: 'listenbrainz',
  route: { method: 'POST', path: '/v1/ingest/listenbrainz' },
  world: { listenbrainz: true },
  fake: (ctx) => ctx.world.listenbrainz!.server,
  match: '/listens',
  async setup () {},
  async prepare (ctx, round) {
    for (let i = 0; i < playsPerRound; i++) {
      const n = round * playsPerRound + i
      ctx.world.listenbrainz!.listens.push({
        listened_at: Math.floor(Date.UTC(2026, 5, 1) / 1000) + n * 300,
        track_metadata: { artist_name: `Band ${n % 3}`, track_name: `Demo ${n}`, release_name: 'Tapes', additional_info: { submission_client: 'navidrome' } },
      })
    }
  },
  call: (ctx) => ctx.section.call(ctx.name, ctx.world.service, 'POST', '/v1/ingest/listenbrainz', undefined, { expect: [502, 503, 504] }),
  async check (ctx, round) {
    const stored = await tableTotal(ctx, 'tracks_played')
    return stored === (round + 1) * playsPerRound ? [] : [`tracks_played holds ${stored} listens, ListenBrainz has ${(round + 1) * playsPerRound}`]
  },
  upstreamCalls: (ctx) => ctx.world.listenbrainz!.server.count('/listens'),
}

/**
 * MusicBrainz matching (issue 10): Spotify artists each linked to a MusicBrainz artist by URL relation. A 503 from
 * MusicBrainz means "slow down": it is waited out, and a storm longer than a call can wait answers rate_limited.
 */
const musicBrainzFetch: StormTarget = {
  name: 'musicbrainz-fetch',
  route: { method: 'POST', path: '/v1/musicbrainz/artists/fetch' },
  world: { spotifyArtists: 20 * batch, musicbrainz: true },
  fake: (ctx) => ctx.world.musicbrainz!.server,
  match: '/ws/2/',
  async setup (ctx) {
    await seedResolvedPlays(ctx.section, ctx.name, ctx.world)
    const artists = [...ctx.world.spotify!.artists.values()]
    const records = artists.map((a) => ({ artist_id: a.id, artist_name: a.name, genres: [], fetched_at: '2026-01-01T00:00:00.000Z' }))
    await must(ctx.section, ctx.name, ctx.world.service, 'POST', '/v1/spotify/artists/write', { json: { records } })
    for (const a of artists) ctx.world.musicbrainz!.addArtist({ name: a.name, spotifyId: a.id })
  },
  async prepare (ctx) {
    await must(ctx.section, ctx.name, ctx.world.service, 'POST', '/v1/musicbrainz/discover', { json: {} })
    const plan = await must(ctx.section, ctx.name, ctx.world.service, 'POST', '/v1/musicbrainz/artists/plan', { json: { limit: batch, batchSize: batch } })
    ctx.memory.planId = plan?.body.planId
  },
  call: (ctx) => granularCall(ctx, '/v1/musicbrainz/artists'),
  after: (ctx, answer) => writeFetched(ctx, '/v1/musicbrainz/artists', answer),
  async check (ctx, round) {
    const problems = await nothingMissing(ctx)
    const matched = await tableTotal(ctx, 'mbz_artist_match')
    if (matched !== (round + 1) * batch) problems.push(`mbz_artist_match holds ${matched} artists after ${round + 1} storms of ${batch}`)
    return problems
  },
  upstreamCalls: (ctx) => ctx.world.musicbrainz!.calls(),
  extraStorms: [
    { name: 'musicbrainz-503-slow-down', fault: { kind: 'status', status: 503, json: { error: 'Your requests are exceeding the allowable rate limit.' } }, times: 3, expect: ['complete'] },
    { name: 'musicbrainz-503-storm', fault: { kind: 'status', status: 503, json: { error: 'Your requests are exceeding the allowable rate limit.' } }, times: 50, expect: ['rate_limited'] },
  ],
}

/**
 * OpenWeather geocoding (issue 11, GEOCODER=openweather). Its plan needs areas, so the set-up walks the chain:
 * MusicBrainz matching, the area hierarchy and the geography base, each through its route.
 */
const openWeatherFetch: StormTarget = {
  name: 'openweather-fetch',
  route: { method: 'POST', path: '/v1/geography/cities/fetch' },
  world: { spotifyArtists: 20 * batch, musicbrainz: true, openweather: true },
  fake: (ctx) => ctx.world.openweather!.server,
  match: '/geo/1.0/direct',
  async setup (ctx) {
    const mbz = ctx.world.musicbrainz!
    // A town of its own for every storm: answers landed under raw/ are reused, so a storm needs a place not fetched yet.
    const towns = Array.from({ length: 20 }, (_, i) => ({ name: `Faultville ${i}`, lat: 50 + i / 10, lon: -1 - i / 10, country: 'GB' }))
    ctx.world.openweather!.places.push(...towns)
    const country = mbz.addArea({ name: 'United Kingdom', type: 'Country', iso1: ['GB'] })
    const cities = towns.map((t) => mbz.addArea({ name: t.name, type: 'City', parent: country }))
    await seedResolvedPlays(ctx.section, ctx.name, ctx.world)
    const artists = [...ctx.world.spotify!.artists.values()]
    await must(ctx.section, ctx.name, ctx.world.service, 'POST', '/v1/spotify/artists/write', { json: { records: artists.map((a) => ({ artist_id: a.id, artist_name: a.name, genres: [], fetched_at: '2026-01-01T00:00:00.000Z' })) } })
    for (const [i, a] of artists.entries()) mbz.addArtist({ name: a.name, spotifyId: a.id, area: cities[i % cities.length] ?? country })
    await must(ctx.section, ctx.name, ctx.world.service, 'POST', '/v1/musicbrainz/discover', { json: {} })
    await drainGranular(ctx.section, ctx.name, ctx.world.service, '/v1/musicbrainz/artists')
    await drainSimple(ctx.section, ctx.name, ctx.world.service, '/v1/musicbrainz/areas/hierarchy')
    await drainSimple(ctx.section, ctx.name, ctx.world.service, '/v1/geography/base')
  },
  async prepare (ctx) {
    const plan = await must(ctx.section, ctx.name, ctx.world.service, 'POST', '/v1/geography/cities/plan', { json: { limit: 1, batchSize: 1 } })
    ctx.memory.planId = plan?.body.planId
  },
  call: (ctx) => granularCall(ctx, '/v1/geography/cities'),
  after: (ctx, answer) => writeFetched(ctx, '/v1/geography/cities', answer),
  check: (ctx) => nothingMissing(ctx),
  upstreamCalls: (ctx) => ctx.world.openweather!.geocodingCalls(),
}

export const stormTargets: StormTarget[] = [spotifyFetch, spotifyPoll, listenBrainz, musicBrainzFetch, openWeatherFetch]

/** Each target on its own service and fakes, `lanes` at a time: most of a storm is waiting out timeouts. */
export async function runStormSection (suite: Suite, targets: readonly StormTarget[] = stormTargets, lanes = 3): Promise<void> {
  const section = suite.section('storm')
  const queue = targets.filter((t) => section.selected(t.name) || [...commonStorms, ...(t.extraStorms ?? [])].some((s) => section.selected(`${t.name}:${s.name}`)))
  await Promise.all(Array.from({ length: lanes }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await runTarget(section, next)
  }))
}
