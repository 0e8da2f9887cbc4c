import path from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../../config.ts'
import { AppError } from '../../errors.ts'
import { describeBody } from '../../http/client.ts'
import { createWaitBudget, RateLimited } from '../../http/rate-limited.ts'
import type { Lake } from '../../lake/lake.ts'
import type { RawZone } from '../../lake/raw-zone.ts'
import type { StateStore } from '../../lake/state-store.ts'
import { createLockSet } from '../../lake/lock.ts'
import { withStaging } from '../../lake/staging-writer.ts'
import type { SpotifyClient } from '../spotify/client.ts'
import { trackRecord, type TrackRecord } from '../spotify/mappers.ts'
import { listensPerPage, type ListenBrainzClient, type ListensPage } from './listenbrainz-client.ts'
import { emptyPlay, int, playId, spotifyTrackId, str, type PlayRow } from './play-rows.ts'
import { newestPlay, writePlays } from './plays-store.ts'
import { entriesOf, maxJsonUploadBytes, parseExportEntries, readExportZip, saveUpload, uploadText, type ExportFileReport, type SkipCounts } from './streaming-history.ts'

/** How far `next` links are followed in one poll: Spotify keeps only the last 50 plays, so one page is the norm. */
const maxRecentPages = 20
/** Pages of 1,000 listens, and time, one call may spend; a longer history continues on the next call (`done: false`). */
const maxListenBrainzPages = 500
const maxListenBrainzCallMs = 240_000
const listenBrainzCursorState = 'cursors/listenbrainz'

/**
 * For one ListenBrainz user, in Unix seconds. `resume`: a pass stopped early; read on from `before` back to
 * `readUpTo`, then move it to `newest`.
 */
interface ListenBrainzCursor {
  user: string
  readUpTo?: number
  resume?: { before?: number, newest: number }
}

const maxDefined = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b)
export const maxUploadBytes = 2 * 1024 * 1024 * 1024

export interface PollResult {
  status: 'complete' | 'rate_limited'
  /** false when a ListenBrainz read stopped early (page budget or rate limit); the next call continues */
  done?: boolean
  fetched: number
  inserted: number
  duplicates: number
  cursor: string | null
  pages: number
  retryAfterSeconds?: number
}

export interface ImportResult {
  files: number
  rows: number
  inserted: number
  duplicates: number
  skipped: number
  shortPlays: number
  skippedBy: SkipCounts
  ignoredFiles: string[]
  fileReports: ExportFileReport[]
}

export type ExportUpload = { kind: 'json' | 'zip', name: string, stream: NodeJS.ReadableStream }

export interface IngestService {
  recentlyPlayed (): Promise<PollResult>
  streamingHistory (upload: ExportUpload): Promise<ImportResult>
  listenbrainz (): Promise<PollResult>
}

export function createIngestService (deps: {
  config: Config
  lake: Lake
  raw: RawZone
  state: StateStore
  spotify: SpotifyClient
  listenbrainz: ListenBrainzClient
  now: () => Date
  log: FastifyBaseLogger
  /** Test seam: pages of ListenBrainz listens read in one call. */
  listenBrainzPagesPerCall?: number
}): IngestService {
  const { config, lake, raw, state, spotify, now, log } = deps
  const userId = config.userId
  const pageBudget = deps.listenBrainzPagesPerCall ?? maxListenBrainzPages
  const listenBrainzLock = createLockSet()
  const stamp = (): string => now().toISOString().replace(/[:.]/g, '-')

  function playFromHistory (item: unknown, ingestedAt: string): { play: PlayRow, track: TrackRecord } | undefined {
    const entry = item as { played_at?: unknown, track?: unknown, context?: { type?: unknown, uri?: unknown } | null }
    const playedAtMs = typeof entry?.played_at === 'string' ? Date.parse(entry.played_at) : Number.NaN
    const track = trackRecord(entry?.track, ingestedAt)
    if (Number.isNaN(playedAtMs) || !track) return undefined
    return {
      track,
      play: {
        ...emptyPlay(),
        play_id: playId('spotify-api', userId, playedAtMs, track.track_id, track.artist_name, track.track_name),
        user_id: userId,
        played_at: new Date(playedAtMs).toISOString(),
        track_id: track.track_id,
        track_uri: track.track_uri,
        track_isrc: track.track_isrc,
        track_name: track.track_name,
        album_id: track.album_id,
        album_name: track.album_name,
        artist_id: track.artist_id,
        artist_name: track.artist_name,
        artist_ids: track.artist_ids,
        artist_names: track.artist_names,
        duration_ms: track.duration_ms,
        counts_as_play: true,
        context_type: str(entry.context?.type),
        context_uri: str(entry.context?.uri),
        source: 'spotify-api',
        ingested_at: ingestedAt,
      },
    }
  }

  async function recentlyPlayed (): Promise<PollResult> {
    const cursor = await newestPlay(lake, userId, 'spotify-api')
    const afterMs = cursor ? Date.parse(cursor) : undefined
    const ingestedAt = now().toISOString()
    const byId = new Map<string, { play: PlayRow, track: TrackRecord }>()
    let url = '/v1/me/player/recently-played'
    let searchParams: Record<string, string | number> | undefined = { limit: 50, ...(afterMs !== undefined ? { after: afterMs } : {}) }
    let pages = 0
    const waits = createWaitBudget()
    try {
      while (pages < maxRecentPages) {
        const response = await spotify.get(url, { user: true, searchParams, waits })
        pages++
        if (response.status === 403) {
          throw new AppError('UPSTREAM_AUTH_FAILED', `Spotify refused recently-played (403: ${describeBody(response)}): the refresh token needs scope user-read-recently-played and, in Development Mode, the user must be on the app's user list`)
        }
        const body = response.json as { items?: unknown, next?: unknown } | undefined
        if (response.status !== 200 || !Array.isArray(body?.items)) {
          throw new AppError('UPSTREAM_FAILED', `Spotify answered ${response.status} to recently-played (${describeBody(response)}); the cursor stays where it was`)
        }
        await raw.save('spotify/recently-played', `${stamp()}-page-${pages}`, { fetchedAt: ingestedAt, url: response.url, status: response.status, body })
        let added = 0
        for (const item of body.items) {
          const parsed = playFromHistory(item, ingestedAt)
          if (!parsed) {
            log.warn({ upstream: 'spotify' }, 'skipped a recently-played item without a readable track or played_at')
            continue
          }
          if (afterMs !== undefined && Date.parse(parsed.play.played_at) <= afterMs) continue
          if (byId.has(parsed.play.play_id)) continue
          byId.set(parsed.play.play_id, parsed)
          added++
        }
        // A page that brings nothing new means `next` has walked back past the cursor: the rest is stored already.
        if (added === 0 || typeof body.next !== 'string' || body.next === '') break
        url = body.next
        searchParams = undefined
      }
    } catch (err) {
      // Nothing is written on a rate limit: a partial page set could move the cursor past plays not yet read.
      if (err instanceof RateLimited) {
        return { status: 'rate_limited', fetched: 0, inserted: 0, duplicates: 0, cursor, pages, retryAfterSeconds: err.retryAfterSeconds }
      }
      throw err
    }
    const found = [...byId.values()]
    const tracks = [...new Map(found.map(({ track }) => [track.track_id, track])).values()]
    const result = await writePlays(lake, found.map(({ play }) => play), tracks)
    return {
      status: 'complete',
      fetched: found.length,
      inserted: result.inserted,
      duplicates: result.duplicates,
      cursor: await newestPlay(lake, userId, 'spotify-api'),
      pages,
    }
  }

  async function streamingHistory (upload: ExportUpload): Promise<ImportResult> {
    const ingestedAt = now().toISOString()
    // Rows stream to staging files; a bad entry anywhere fails the request before anything reaches the lake.
    return withStaging(lake.tmpDir, 'import', async (staging, work) => {
      const reports: Array<ExportFileReport & SkipCounts> = []
      const onFile = async (name: string, entries: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> => {
        reports.push(await parseExportEntries(name, entries, { userId, ingestedAt }, (row) => staging.write(row)))
      }
      let ignored: string[] = []
      if (upload.kind === 'json') {
        // Parsed as it arrives, entry by entry, like a file of the zip: a 200 MB body is never held whole.
        await onFile(upload.name, entriesOf(upload.name, uploadText(upload.stream, maxJsonUploadBytes)))
      } else {
        const zipFile = path.join(work, 'upload.zip')
        await saveUpload(upload.stream, zipFile, maxUploadBytes)
        ignored = (await readExportZip(zipFile, (name, chunks) => onFile(name, entriesOf(name, chunks)))).ignored
      }
      const result = await writePlays(lake, await staging.finish())
      const sum = (pick: (r: ExportFileReport & SkipCounts) => number): number => reports.reduce((total, r) => total + pick(r), 0)
      return {
        files: reports.length,
        rows: result.rows,
        inserted: result.inserted,
        duplicates: result.duplicates,
        skipped: sum((r) => r.skipped),
        shortPlays: sum((r) => r.shortPlays),
        skippedBy: { episodes: sum((r) => r.episodes), audiobooks: sum((r) => r.audiobooks), noTrack: sum((r) => r.noTrack) },
        ignoredFiles: ignored,
        fileReports: reports.map(({ name, entries, rows, shortPlays, skipped }) => ({ name, entries, rows, shortPlays, skipped })),
      }
    })
  }

  function playFromListen (listen: unknown, ingestedAt: string): PlayRow | undefined {
    const l = listen as { listened_at?: unknown, track_metadata?: Record<string, unknown> }
    const meta = l?.track_metadata
    const listenedAt = int(l?.listened_at)
    const trackName = str(meta?.track_name)
    const artistName = str(meta?.artist_name)
    if (listenedAt === null || !trackName || !artistName) return undefined
    const info = (meta?.additional_info ?? {}) as Record<string, unknown>
    const mapping = (meta?.mbid_mapping ?? {}) as Record<string, unknown>
    const trackId = spotifyTrackId(info.spotify_id) ?? spotifyTrackId(info.origin_url)
    const durationMs = int(info.duration_ms) ?? (int(info.duration) !== null ? int(info.duration)! * 1000 : null)
    const mbids = (value: unknown): string[] | null => Array.isArray(value) && value.every((v) => typeof v === 'string') && value.length > 0 ? value as string[] : null
    const playedAtMs = listenedAt * 1000
    return {
      ...emptyPlay(),
      play_id: playId('listenbrainz', userId, playedAtMs, trackId, artistName, trackName),
      user_id: userId,
      played_at: new Date(playedAtMs).toISOString(),
      track_id: trackId,
      track_uri: trackId ? `spotify:track:${trackId}` : null,
      track_isrc: str(info.isrc)?.toUpperCase() ?? null,
      track_name: trackName,
      album_name: str(meta?.release_name),
      artist_name: artistName,
      artist_names: [artistName],
      duration_ms: durationMs,
      counts_as_play: true,
      recording_mbid: str(mapping.recording_mbid) ?? str(info.recording_mbid),
      artist_mbids: mbids(mapping.artist_mbids) ?? mbids(info.artist_mbids),
      source: 'listenbrainz',
      ingested_at: ingestedAt,
    }
  }

  /**
   * Pages back from the newest listen with max_ts until it reaches the listens already read: max_ts ("older than")
   * pages the same way on every ListenBrainz version, where what min_ts answers when more listens follow is not
   * documented. The cursor (`readUpTo`, the newest listen read) lives in state/, not in the lake: a listen merged into
   * a Spotify play keeps the Spotify row, so the lake alone would lose track of it (weakness W4 of the original moved
   * the cursor back). A pass stopped by the page budget or a long rate limit keeps what it read and remembers where
   * to resume; the cursor moves only once everything down to it has been read.
   */
  async function listenbrainz (): Promise<PollResult> {
    deps.listenbrainz.requireConfig()
    // One read at a time: two overlapping reads could save their cursors out of order.
    return listenBrainzLock.run(['listenbrainz'], readListens)
  }

  async function readListens (): Promise<PollResult> {
    const ingestedAt = now().toISOString()
    const lbUser = config.listenbrainz.user!
    const saved = await state.read<ListenBrainzCursor>(listenBrainzCursorState)
    // No cursor (a new lake, state/ cleared, another account): read everything; stored listens count as duplicates.
    const stored = saved?.user === lbUser ? saved : undefined
    let readUpTo = stored?.readUpTo
    let resume = stored?.resume
    let pages = 0
    let rateLimited: RateLimited | undefined
    const waits = createWaitBudget()
    const startedAt = Date.now()
    const cursorOf = (seconds: number | undefined): string | null => seconds === undefined ? null : new Date(seconds * 1000).toISOString()
    const outOfBudget = (): boolean => pages >= pageBudget || Date.now() - startedAt > maxListenBrainzCallMs
    // Saved before anything reaches the lake, so a crash after the write re-reads rather than trusting the lake.
    if (!stored) await state.write(listenBrainzCursorState, { user: lbUser } satisfies ListenBrainzCursor)

    return withStaging(lake.tmpDir, 'listenbrainz', async (staging) => {
      /** One pass from `before` (or the newest listen) back to `readUpTo`; answers where it stopped, if it did. */
      async function pass (before: number | undefined, newest: number | undefined): Promise<{ finished: boolean, before?: number, newest?: number }> {
        let maxTs = before
        for (;;) {
          if (outOfBudget()) return { finished: false, before: maxTs, newest }
          let page: ListensPage
          try {
            page = await deps.listenbrainz.listensBefore(maxTs, waits)
          } catch (err) {
            if (!(err instanceof RateLimited)) throw err
            rateLimited = err
            return { finished: false, before: maxTs, newest }
          }
          pages++
          await raw.save('listenbrainz/listens', `${stamp()}-page-${pages}`, { fetchedAt: ingestedAt, url: page.url, status: 200, body: page.body })
          let oldest: number | undefined
          let reachedCursor = false
          for (const listen of page.listens) {
            // Paging follows every listen's time, readable or not: a page of unreadable listens is not the end.
            const seconds = int((listen as { listened_at?: unknown } | null)?.listened_at)
            if (seconds === null) continue
            oldest = Math.min(oldest ?? seconds, seconds)
            const row = playFromListen(listen, ingestedAt)
            if (!row) continue
            newest = Math.max(newest ?? seconds, seconds)
            // Listens in the cursor's own second may be new (several listens can share a second); older ones are read.
            if (readUpTo !== undefined && seconds < readUpTo) {
              reachedCursor = true
              continue
            }
            await staging.write(row)
          }
          if (reachedCursor || oldest === undefined || page.listens.length < listensPerPage) return { finished: true, newest }
          // Ask again from the oldest second (deduplicated by play id) so listens sharing it across the page boundary
          // are not lost; a page filled by a single second moves on past it.
          maxTs = oldest + 1 < (maxTs ?? Number.POSITIVE_INFINITY) ? oldest + 1 : oldest
        }
      }

      let done = false
      for (;;) {
        const resuming = resume !== undefined
        const stop = await pass(resume?.before, resume?.newest)
        if (!stop.finished) {
          // Keep the newest listen seen in the pass that started at the top: it becomes the cursor once the gap is read.
          resume = stop.newest === undefined ? resume : { before: stop.before ?? resume?.before, newest: stop.newest }
          break
        }
        readUpTo = maxDefined(readUpTo, stop.newest)
        resume = undefined
        // A finished resume leaves listens newer than its start unread: one more pass from the top picks them up.
        if (!resuming) {
          done = true
          break
        }
      }

      const staged = await staging.finish()
      const result = await writePlays(lake, staged)
      // After the write: a crash in between re-reads listens (stored once by play id) rather than skipping any.
      await state.write(listenBrainzCursorState, { user: lbUser, readUpTo, ...(resume ? { resume } : {}) } satisfies ListenBrainzCursor)
      return {
        status: rateLimited ? 'rate_limited' : 'complete',
        done,
        fetched: staged.rows,
        inserted: result.inserted,
        duplicates: result.duplicates,
        cursor: cursorOf(readUpTo),
        pages,
        ...(rateLimited ? { retryAfterSeconds: rateLimited.retryAfterSeconds } : {}),
      }
    })
  }

  return { recentlyPlayed, streamingHistory, listenbrainz }
}
