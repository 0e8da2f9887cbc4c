// Concurrent calls on one table: nothing lost, nothing doubled, no 500, plan progress complete.
import type { Answer, Body } from '../lib/http.ts'
import { tableFile } from '../lib/lake-integrity.ts'
import { routeExists } from './kill.ts'
import type { Section, Suite } from './suite.ts'
import { createWorld, exportPlays, importBody, logErrors, must, seedResolvedPlays, settle, syntheticId, type World } from './world.ts'

export interface ConcurrencyContext {
  world: World
  section: Section
  name: string
  /** a call whose answer must be 200 */
  post (route: string, body?: Body): Promise<Answer | undefined>
  get (route: string): Promise<Answer | undefined>
  /** rows of a table as a fresh DuckDB reads its file; key problems become violations */
  rows (table: string): Promise<number>
}

/**
 * One concurrency case: `rounds` rounds of calls fired at once, each checked. The cases share one service, whose lake
 * starts with one play of each of the catalog's artists, resolved: a case counts what its calls added.
 */
export interface ConcurrencyCase {
  name: string
  /** a 404 ROUTE_NOT_FOUND here skips the case until its stage is merged */
  route?: { method: string, path: string }
  round (ctx: ConcurrencyContext, round: number): Promise<string[]>
}

const rounds = 3
const workers = 8
const fetchedAt = '2026-01-01T00:00:00.000Z'

const artistRecord = (i: number) => ({ artist_id: syntheticId('conc-artist', i), artist_name: `Artist ${i}`, genres: [`genre ${i % 5}`], popularity: i % 100, followers: i, image_url: null, fetched_at: fetchedAt })

const eightWrites: ConcurrencyCase = {
  name: '8-writes-one-table',
  async round (ctx, round) {
    // Worker w writes artists [w·50, w·50 + 100): each half overlaps a neighbour's.
    const base = round * 1000
    const artists = await ctx.rows('spotify_artists')
    const genres = await ctx.rows('spotify_artist_genre')
    await Promise.all(Array.from({ length: workers }, (_, w) =>
      ctx.post('/v1/spotify/artists/write', { json: { records: Array.from({ length: 100 }, (_, i) => artistRecord(base + w * 50 + i)) } })))
    const added = workers * 50 + 50
    return [
      ...await grew(ctx, 'spotify_artists', artists, added),
      ...await grew(ctx, 'spotify_artist_genre', genres, added),
    ]
  },
}

const perBatch = 5

const eightFetches: ConcurrencyCase = {
  name: '8-fetches-and-writes-one-plan',
  async round (ctx) {
    const problems: string[] = []
    const artists = await ctx.rows('spotify_artists')
    const plan = await ctx.post('/v1/spotify/artists/plan', { json: { limit: workers * perBatch, batchSize: perBatch } })
    if (!plan) return ['no plan']
    const batches = plan.body.batches as Array<{ planId: string, offset: number, limit: number }>
    const fetched = await Promise.all(batches.map((b) => ctx.post('/v1/spotify/artists/fetch', { json: { planId: b.planId, offset: b.offset, limit: b.limit } })))
    for (const [i, f] of fetched.entries()) {
      if (f && (f.body.status !== 'complete' || f.body.records.length !== perBatch)) problems.push(`batch ${i} fetched ${f.body.status} with ${f.body.records.length} records`)
    }
    const afterFetch = await ctx.get(`/v1/plans/${plan.body.planId}`)
    const notDone = (afterFetch?.body.batches as Array<{ state: string }> | undefined)?.filter((b) => b.state !== 'done').length
    if (notDone !== 0) problems.push(`after 8 concurrent fetches the plan shows ${notDone} batches not done: progress was lost`)
    await Promise.all(fetched.map((f, i) => ctx.post('/v1/spotify/artists/write', { json: { records: f?.body.records ?? [], failures: f?.body.failures ?? [], planId: plan.body.planId, offset: batches[i]!.offset } })))
    const afterWrite = await ctx.get(`/v1/plans/${plan.body.planId}`)
    const unwritten = (afterWrite?.body.batches as Array<{ writtenAt: string | null }> | undefined)?.filter((b) => !b.writtenAt).length
    if (unwritten !== 0) problems.push(`after 8 concurrent writes the plan shows ${unwritten} batches not written: progress was lost`)
    return [...problems, ...await grew(ctx, 'spotify_artists', artists, workers * perBatch)]
  },
}

const twoPlans: ConcurrencyCase = {
  name: 'two-plans-of-one-step',
  async round (ctx) {
    const artists = await ctx.rows('spotify_artists')
    const [a, b] = await Promise.all([0, 1].map(() => ctx.post('/v1/spotify/artists/plan', { json: { limit: 20, batchSize: 10 } })))
    if (!a || !b) return ['a plan failed']
    const problems: string[] = []
    if (a.body.total !== 20 || b.body.total !== 20) problems.push(`the two plans hold ${a.body.total} and ${b.body.total} artists, not 20 each`)
    // Both plans are fetched and written, batch by batch, at the same time: the artists land once.
    const run = async (plan: Answer): Promise<void> => {
      for (const batch of plan.body.batches) {
        const f = await ctx.post('/v1/spotify/artists/fetch', { json: { planId: batch.planId, offset: batch.offset } })
        if (f) await ctx.post('/v1/spotify/artists/write', { json: { records: f.body.records, failures: f.body.failures, planId: batch.planId, offset: batch.offset } })
      }
    }
    await Promise.all([run(a), run(b)])
    return [...problems, ...await grew(ctx, 'spotify_artists', artists, 20)]
  },
}

const playsPerImport = 2000

/** An import while a large write runs on the same table: the plays refill after a 500-track resolution write. */
const importDuringWrite: ConcurrencyCase = {
  name: 'import-during-a-large-write',
  async round (ctx, round) {
    const tracks = Array.from({ length: 500 }, (_, i) => ({ track_id: syntheticId('conc-track', round * 500 + i), track_name: `Track ${round}.${i}`, artist_id: syntheticId('conc-a', i % 40), artist_name: `A ${i % 40}`, album_id: syntheticId('conc-al', i % 60), album_name: `Al ${i % 60}`, fetched_at: fetchedAt }))
    const start = Date.UTC(2012, 0, 1) + round * 30 * 86_400_000
    const unresolved = await importBody(exportPlays(tracks.map((t) => t.track_id), start, playsPerImport, (i) => tracks[i]!.track_name), `Streaming_History_Audio_c${round}a.json`, false, ctx.world.dir)
    await ctx.post(unresolved.path, unresolved.body)
    await settle(ctx.world.service)
    const before = await ctx.rows('tracks_played')
    // Two imports (half of the second repeats the first) while the resolution write and its refill rewrite the plays.
    const first = exportPlays(tracks.map((t) => t.track_id), start + 10 * 86_400_000, playsPerImport, (i) => tracks[i]!.track_name)
    // 1,000 plays later, a multiple of the 500 tracks: the overlapping plays are the same plays.
    const second = exportPlays(tracks.map((t) => t.track_id), start + 10 * 86_400_000 + (playsPerImport / 2) * 240_000, playsPerImport, (i) => tracks[i]!.track_name)
    const one = await importBody(first, `Streaming_History_Audio_c${round}b.json`, true, ctx.world.dir)
    const two = await importBody(second, `Streaming_History_Audio_c${round}c.json`, false, ctx.world.dir)
    const [writeAnswer] = await Promise.all([
      ctx.post('/v1/spotify/tracks/write', { json: { records: tracks } }),
      ctx.post(one.path, one.body),
      ctx.post(two.path, two.body),
    ])
    await settle(ctx.world.service)
    const problems: string[] = []
    const want = before + playsPerImport * 1.5
    if (await ctx.rows('tracks_played') !== want) problems.push(`tracks_played holds ${await ctx.rows('tracks_played')} plays, not ${want}`)
    if (!writeAnswer) problems.push('the resolution write failed')
    const unfilled = await ctx.world.reader.query("SELECT count(*)::INTEGER AS n FROM read_parquet($file) WHERE artist_id IS NULL AND list_contains(string_split($ids, ','), track_id)",
      { file: tableFile(ctx.world.service.dataDir, 'tracks_played'), ids: tracks.map((t) => t.track_id).join(',') })
    if (Number(unfilled[0]?.n) !== 0) problems.push(`${unfilled[0]?.n} plays of resolved tracks are still unfilled`)
    return problems
  },
}

/** An import while the warehouse builds (issue 12), once the build route exists. */
const importDuringBuild: ConcurrencyCase = {
  name: 'import-during-a-warehouse-build',
  route: { method: 'POST', path: '/v1/warehouse/build' },
  async round (ctx, round) {
    const start = Date.UTC(2011, 0, 1) + round * 30 * 86_400_000
    const ids = Array.from({ length: 50 }, (_, i) => syntheticId('build-track', i))
    const seed = await importBody(exportPlays(ids, start, playsPerImport), `Streaming_History_Audio_b${round}a.json`, false, ctx.world.dir)
    await ctx.post(seed.path, seed.body)
    const before = await ctx.rows('tracks_played')
    const more = await importBody(exportPlays(ids, start + 10 * 86_400_000, playsPerImport), `Streaming_History_Audio_b${round}b.json`, true, ctx.world.dir)
    const [build] = await Promise.all([ctx.post('/v1/warehouse/build', { json: {} }), ctx.post(more.path, more.body)])
    const problems: string[] = []
    if (!build) problems.push('the build failed')
    if (await ctx.rows('tracks_played') !== before + playsPerImport) problems.push(`tracks_played holds ${await ctx.rows('tracks_played')} plays, not ${before + playsPerImport}`)
    return problems
  },
}

/** Eight imports at once, each overlapping the next by half: every play stored once. */
const eightImports: ConcurrencyCase = {
  name: '8-imports-overlapping',
  async round (ctx, round) {
    // 50 tracks divide the 250-play shift: the overlapping plays are the same plays.
    const ids = Array.from({ length: 50 }, (_, i) => syntheticId('overlap-track', i))
    const start = Date.UTC(2010, 0, 1) + round * 60 * 86_400_000
    const before = await ctx.rows('tracks_played')
    const bodies = await Promise.all(Array.from({ length: workers }, (_, w) =>
      importBody(exportPlays(ids, start + w * 250 * 240_000, 500), `Streaming_History_Audio_o${round}_${w}.json`, w % 2 === 0, ctx.world.dir)))
    await Promise.all(bodies.map((b) => ctx.post(b.path, b.body)))
    const want = before + 250 * (workers + 1)
    return await ctx.rows('tracks_played') === want ? [] : [`tracks_played holds ${await ctx.rows('tracks_played')} plays, not ${want}`]
  },
}

/** A table grew by exactly `added` rows since it held `before`. */
async function grew (ctx: ConcurrencyContext, table: string, before: number, added: number): Promise<string[]> {
  const now = await ctx.rows(table)
  return now === before + added ? [] : [`${table} went from ${before} to ${now} rows, not +${added}`]
}

// The imports come last: their plays credit artists Spotify does not know, which the artists plans would then pick.
export const concurrencyCases: ConcurrencyCase[] = [eightWrites, eightFetches, twoPlans, eightImports, importDuringWrite, importDuringBuild]
const catalogArtists = rounds * (workers * perBatch + 20)

export async function runConcurrencySection (suite: Suite, cases: readonly ConcurrencyCase[] = concurrencyCases): Promise<void> {
  const section = suite.section('concurrency')
  const selected = cases.filter((c) => section.selected(c.name))
  if (selected.length === 0) return
  const world = await createWorld('concurrency', { spotifyArtists: catalogArtists })
  const context = (name: string): ConcurrencyContext => ({
    world,
    section,
    name,
    post: (route, body) => must(section, name, world.service, 'POST', route, body),
    get: (route) => must(section, name, world.service, 'GET', route),
    async rows (table) {
      await settle(world.service)
      const read = await world.reader.read(world.service.dataDir, world.tables.filter((t) => t.name === table))
      for (const problem of read.problems) section.violation(name, problem)
      section.rows(read.rows)
      return read.state.get(table)?.rows ?? -1
    },
  })
  try {
    await seedResolvedPlays(section, 'setup', world)
    for (const test of selected) {
      if (test.route && !await routeExists(world.service, test.route)) {
        section.skip(test.name, `${test.route.method} ${test.route.path} answers 404 ROUTE_NOT_FOUND on this build; it runs once the stage is merged`)
        continue
      }
      const ctx = context(test.name)
      for (let round = 0; round < rounds; round++) {
        section.trial(test.name)
        try {
          for (const problem of await test.round(ctx, round)) section.violation(test.name, `round ${round + 1}: ${problem}`)
        } catch (err) {
          section.violation(test.name, `round ${round + 1} stopped: ${(err as Error).stack ?? err}`)
        }
      }
    }
    const whole = await world.reader.read(world.service.dataDir, world.tables)
    for (const problem of whole.problems) section.violation('tables', problem)
    section.rows(whole.rows)
  } finally {
    logErrors(section, 'concurrency', world)
    await world.close()
  }
}
