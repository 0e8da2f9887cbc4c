import { describe, expect, it } from 'vitest'
import { dailyChain, findStep, type StepDescriptor } from '../../src/daily/steps.ts'
import type { RunRecord } from '../../src/runs/run-log.ts'
import { recordName, summariseRuns, summariseStage } from '../../src/runs/summary.ts'

const t0 = Date.parse('2026-11-01T04:00:00Z')
let clock = t0

/** A run record one second after the previous one. */
function rec (step: string, counts: Record<string, number> = {}, extra: Partial<RunRecord> = {}): RunRecord {
  clock += 1000
  return { step, startedAt: new Date(clock).toISOString(), durationMs: 500, status: 'ok', httpStatus: 200, counts, error: null, planId: 'p1', ...extra }
}
const failed = (step: string, httpStatus: number, code: string, error: string): RunRecord => rec(step, {}, { status: 'error', httpStatus, code, error })

const step = (name: string): StepDescriptor => findStep(name)!
const artists = step('spotify-artists')
const hierarchy = step('musicbrainz-hierarchy')

describe('recordName', () => {
  it('is the route of the step without /v1, with dots (what the routes record)', () => {
    expect(dailyChain.map(recordName)).toEqual([
      'spotify.tracks', 'spotify.artists', 'spotify.albums', 'musicbrainz.discover', 'musicbrainz.artists', 'musicbrainz.parse',
      'musicbrainz.areas.hierarchy', 'geography.base', 'geography.cities', 'musicbrainz.update-mbids', 'warehouse.build', 'raw.retention',
    ])
  })
})

describe('a granular stage', () => {
  const plan = (total: number, batches: number) => rec('spotify.artists.plan', { total, batches, batchSize: 50 })
  const fetch = (limit: number, counts: Record<string, number> = {}, extra: Partial<RunRecord> = {}) =>
    rec('spotify.artists.fetch', { limit, records: limit, failures: 0, calls: limit, ...counts }, extra)
  const write = () => rec('spotify.artists.write', { 'records.inserted': 1 })

  it('with an empty plan had nothing to do', () => {
    expect(summariseStage(artists, [plan(0, 0)])).toMatchObject({ status: 'nothing_to_do', calls: 1, processed: 0, total: 0 })
  })

  it('is done when every batch of its plan was fetched and written, counting items and upstream calls', () => {
    const runs = [plan(70, 2), fetch(50), write(), fetch(20), write()]
    expect(summariseStage(artists, runs)).toEqual({
      step: 'spotify-artists', title: 'Spotify artists', status: 'done', processed: 70, total: 70, calls: 5, upstreamCalls: 70, failedBatches: 0, seconds: 2.5,
    })
  })

  it('is rate limited after a rate-limited fetch, counting what that batch got', () => {
    const runs = [plan(100, 2), fetch(50, { records: 10, failures: 2, retryAfterSeconds: 3600 }, { status: 'rate_limited' }), write()]
    expect(summariseStage(artists, runs)).toMatchObject({ status: 'rate_limited', processed: 12, total: 100, retryAfterSeconds: 3600 })
  })

  it('failed when a batch failed, with how many and the first message; the other batches still count', () => {
    const runs = [plan(150, 3), fetch(50), write(), failed('spotify.artists.fetch', 502, 'UPSTREAM_FAILED', 'Spotify answered 500 three times'), fetch(50), write()]
    expect(summariseStage(artists, runs)).toMatchObject({
      status: 'failed',
      processed: 100,
      failedBatches: 1,
      message: '1 of 3 batches failed, the others were written; first: UPSTREAM_FAILED: Spotify answered 500 three times',
    })
  })

  it('stopped when batches of its plan were never fetched (the workflow ended early)', () => {
    expect(summariseStage(artists, [plan(150, 3), fetch(50), write()])).toMatchObject({ status: 'stopped', message: '1 of 3 batches fetched; the next run plans the rest' })
  })

  it('is not configured when its plan answered NOT_CONFIGURED, with the variable to set', () => {
    const runs = [failed('spotify.artists.plan', 503, 'NOT_CONFIGURED', 'Spotify is not configured: set SPOTIFY_CLIENT_ID')]
    expect(summariseStage(artists, runs)).toMatchObject({ status: 'not_configured', message: 'NOT_CONFIGURED: Spotify is not configured: set SPOTIFY_CLIENT_ID' })
  })

  it('did not run when none of its calls arrived; calls of other steps are not its own', () => {
    const runs = [rec('spotify.albums.plan', { total: 3, batches: 1 }), rec('spotify.artists', { processed: 1 }), rec('daily', { processed: 1 })]
    expect(summariseStage(artists, runs)).toMatchObject({ status: 'not_run', calls: 0, message: 'no call of this stage reached the service in this window' })
  })
})

describe('a simple stage', () => {
  const call = (processed: number, remaining: number, extra: Partial<RunRecord> = {}) =>
    rec('musicbrainz.areas.hierarchy', { processed, remaining }, extra)

  it('adds up its calls: done even when the last call had nothing left to do', () => {
    expect(summariseStage(hierarchy, [call(5, 3), call(3, 0), call(0, 0)])).toMatchObject({ status: 'done', processed: 8, total: 8, calls: 3 })
  })

  it('counts the upstream requests its calls report', () => {
    const walked = [rec('musicbrainz.areas.hierarchy', { processed: 4, remaining: 0, calls: 7 }), rec('musicbrainz.areas.hierarchy', { processed: 0, remaining: 0, calls: 0 })]
    expect(summariseStage(hierarchy, walked)).toMatchObject({ status: 'done', upstreamCalls: 7 })
  })

  it('had nothing to do when no call processed anything', () => {
    expect(summariseStage(hierarchy, [call(0, 0)])).toMatchObject({ status: 'nothing_to_do', processed: 0, total: 0 })
  })

  it('stopped when its last call left work (the workflow\'s bound on calls): the next run continues', () => {
    expect(summariseStage(hierarchy, [call(5, 9), call(5, 4)])).toMatchObject({ status: 'stopped', processed: 10, total: 14, message: '4 remaining after 2 calls; the next run continues' })
  })

  it('is rate limited when its last call was', () => {
    expect(summariseStage(hierarchy, [call(5, 4), call(1, 3, { status: 'rate_limited', counts: { processed: 1, remaining: 3, retryAfterSeconds: 60 } })]))
      .toMatchObject({ status: 'rate_limited', processed: 6, retryAfterSeconds: 60 })
  })

  it('failed with the code and message of its failed call', () => {
    const warehouse = step('warehouse-build')
    const runs = [failed('warehouse.build', 500, 'WAREHOUSE_TESTS_FAILED', 'model tests failed: relationships_fact_track_played_artist_id__dim_artist')]
    expect(summariseStage(warehouse, runs)).toMatchObject({ status: 'failed', message: 'WAREHOUSE_TESTS_FAILED: model tests failed: relationships_fact_track_played_artist_id__dim_artist' })
  })
})

describe('summariseRuns', () => {
  it('answers every stage of the chain in order, the counts and one line', () => {
    const runs = [rec('spotify.tracks.plan', { total: 0, batches: 0 }), rec('warehouse.build', { processed: 14, remaining: 0 })]
    const summary = summariseRuns(dailyChain, { since: new Date(t0), until: new Date(clock + 1), runs, complete: true })
    expect(summary.stages.map((s) => s.step)).toEqual(dailyChain.map((s) => s.name))
    expect(summary.counts).toEqual({ done: 1, nothing_to_do: 1, rate_limited: 0, not_configured: 0, failed: 0, stopped: 0, not_run: 10 })
    expect(summary.headline).toBe('12 stages: 1 done, 1 nothing to do, 10 not run')
    expect(summariseRuns(dailyChain, { since: new Date(t0), until: new Date(clock), runs, complete: false }).headline).toMatch(/no longer holds every call/)
  })
})
