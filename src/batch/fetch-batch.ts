import type { AppError } from '../errors.ts'
import type { RateLimited } from '../http/rate-limited.ts'
import type { RawZone } from '../lake/raw-zone.ts'
import type { FailureInput } from './failure-memory.ts'

/** What a client answers for a list of ids: found, missing (a real miss), and why it stopped early, if it did. */
export interface LookupResult<Body = unknown> {
  found: Array<{ id: string, body: Body, url: string }>
  missing: Array<{ id: string, httpStatus: number | null, reason: string }>
  /** Set when the upstream asked us to stop: the ids not looked up stay pending. */
  rateLimited?: RateLimited
  /** Set when the upstream failed after retries; what was found before is still returned. */
  error?: AppError
  calls: number
}

export interface FetchOutcome<Rec> {
  status: 'complete' | 'rate_limited'
  records: Rec[]
  failures: FailureInput[]
  retryAfterSeconds?: number
  /** upstream calls made for this batch */
  calls: number
  /** the upstream failed after retries: what was fetched is landed, the batch is marked failed */
  error?: AppError
}

/** Raw answers younger than this are reused instead of calling again (a lost write must not spend a quota twice). */
export const rawReuseMs = 24 * 60 * 60 * 1000

/**
 * The fetch of a batch keyed by entity id: raw answers still fresh are reused, the rest are looked up and landed under
 * raw/<source>/<id>.json, and each body becomes a record (or a failure when it cannot be read).
 */
export async function fetchBatch<Body, Rec> (options: {
  raw: RawZone
  source: string
  now: () => Date
  ids: readonly string[]
  lookup: (ids: string[]) => Promise<LookupResult<Body>>
  toRecord: (body: Body, id: string, fetchedAt: string) => Rec | undefined
  /** reason recorded for a body `toRecord` cannot read */
  unreadable: string
}): Promise<FetchOutcome<Rec>> {
  const { raw, source, now, toRecord } = options
  const fetchedAt = now().toISOString()
  const outcome: FetchOutcome<Rec> = { status: 'complete', records: [], failures: [], calls: 0 }
  const toCall: string[] = []
  for (const id of options.ids) {
    const cached = await raw.load<Body>(source, id)
    const record = cached && cached.status === 200 && now().getTime() - Date.parse(cached.fetchedAt) < rawReuseMs
      ? toRecord(cached.body, id, cached.fetchedAt)
      : undefined
    if (record) outcome.records.push(record)
    else toCall.push(id)
  }
  const result = toCall.length > 0 ? await options.lookup(toCall) : { found: [], missing: [], calls: 0 }
  outcome.calls = result.calls
  await raw.saveAll(source, result.found.map((found) => ({ name: found.id, record: { fetchedAt, url: found.url, status: 200, body: found.body } })))
  for (const found of result.found) {
    const record = toRecord(found.body, found.id, fetchedAt)
    if (record) outcome.records.push(record)
    else outcome.failures.push({ entity_id: found.id, reason: options.unreadable, http_status: 200, failed_at: fetchedAt })
  }
  for (const miss of result.missing) {
    outcome.failures.push({ entity_id: miss.id, reason: miss.reason, http_status: miss.httpStatus, failed_at: fetchedAt })
  }
  if (result.rateLimited) {
    outcome.status = 'rate_limited'
    outcome.retryAfterSeconds = result.rateLimited.retryAfterSeconds
  }
  if (result.error) outcome.error = result.error
  return outcome
}
