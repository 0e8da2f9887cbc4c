import fs from 'node:fs/promises'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { AppError, quote } from '../../errors.ts'
import { bool, int, str } from '../../json-values.ts'
import { defaultMaxItemChars, JsonArrayError, jsonArrayBatches } from './json-array-stream.ts'
import { parseTimestamp } from '../../lake/values.ts'
import { writeChunks } from '../../lake/file-writer.ts'
import { invalidExport, megabytes, shortReason } from './export-errors.ts'
import { minPlayMs, playId, spotifyTrackId, type PlayInput } from './play-rows.ts'

/**
 * Spotify's extended streaming history: `ts` is when the stream ENDED (UTC, second precision) and `ms_played` how
 * long it played, so a play's start is `played_at = ts - ms_played` and `ended_at = ts`.
 */
export interface ExportFileReport {
  name: string
  entries: number
  rows: number
  shortPlays: number
  skipped: number
  /** entries that could not be read, set aside in the quarantine table */
  quarantined: number
}

export interface SkipCounts {
  episodes: number
  audiobooks: number
  noTrack: number
}

/** An entry that cannot become a play: where it is and what is wrong, for the quarantine table. */
export interface BadEntry {
  index: number
  entry: unknown
  field: string
  problem: string
}

/** The latest time JavaScript can represent: an ms_played of 1e16 puts the start before it. */
const validTime = (ms: number): boolean => Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 && new Date(ms).getUTCFullYear() >= 1

/**
 * Turns the entries of one export file into play rows, handing each to `onRow` as it goes. A file that is not an
 * export (its first entry has no ts nor ms_played) throws a 400; an entry that cannot be read goes to `onBad` with the
 * field and the problem, and the others go on (one bad record never blocks the rest). Unknown fields are ignored.
 */
export async function parseExportEntries (
  file: string,
  entries: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
  context: { userId: string, ingestedAt: string },
  onRow: (row: PlayInput, index: number) => void | Promise<void>,
  onBad: (bad: BadEntry) => void | Promise<void>
): Promise<ExportFileReport & SkipCounts> {
  const report = { name: file, entries: 0, rows: 0, shortPlays: 0, skipped: 0, quarantined: 0, episodes: 0, audiobooks: 0, noTrack: 0 }
  let index = -1
  for await (const batch of entries) {
    for (const value of batch) {
      index++
      report.entries++
      // Awaited only when the callback answers a promise: most rows go on synchronously.
      const pending = parseEntry(file, value, index, report, context, onRow, onBad)
      if (pending) await pending
    }
  }
  return report
}

function parseEntry (
  file: string,
  value: unknown,
  index: number,
  report: ExportFileReport & SkipCounts,
  context: { userId: string, ingestedAt: string },
  onRow: (row: PlayInput, index: number) => void | Promise<void>,
  onBad: (bad: BadEntry) => void | Promise<void>
): void | Promise<void> {
  const bad = (field: string, problem: string): void | Promise<void> => {
    report.quarantined++
    return onBad({ index, entry: value, field, problem })
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    if (index === 0) throw invalidExport(file, 'is not a Spotify extended streaming history file: its first entry is not an object', `${file}[0]`, 'must be an object')
    return bad('entry', 'must be an object')
  }
  const entry = value as Record<string, unknown>
  if (index === 0 && !('ts' in entry) && !('ms_played' in entry)) {
    throw invalidExport(file, 'is not a Spotify extended streaming history file: its entries have no ts or ms_played', `${file}[0]`, 'has no ts or ms_played')
  }
  const endedAt = typeof entry.ts === 'string' ? parseTimestamp(entry.ts) : undefined
  if (endedAt === undefined) {
    return bad('ts', typeof entry.ts === 'string' && entry.ts !== '' ? `must be an ISO 8601 timestamp such as 2023-02-25T11:20:37Z, got ${quote(entry.ts)}` : 'is required (a UTC timestamp)')
  }
  const msPlayed = entry.ms_played
  if (typeof msPlayed !== 'number' || !Number.isInteger(msPlayed) || msPlayed < 0) {
    return bad('ms_played', `must be a non-negative integer, got ${quote(msPlayed)}`)
  }
  if (!validTime(endedAt - msPlayed)) {
    return bad('ms_played', `puts the start of the play before the year 1 (${quote(msPlayed)} ms)`)
  }

  const trackUri = str(entry.spotify_track_uri)
  const trackName = str(entry.master_metadata_track_name)
  if (!trackUri && !trackName) {
    report.skipped++
    if (str(entry.spotify_episode_uri) || str(entry.episode_name)) report.episodes++
    else if (str(entry.audiobook_uri) || str(entry.audiobook_chapter_uri) || str(entry.audiobook_title)) report.audiobooks++
    else report.noTrack++
    return
  }
  const trackId = spotifyTrackId(trackUri)
  const artistName = str(entry.master_metadata_album_artist_name)
  const playedAtMs = endedAt - msPlayed
  const countsAsPlay = msPlayed >= minPlayMs
  if (!countsAsPlay) report.shortPlays++
  report.rows++
  return onRow({
    play_id: playId('spotify-export', context.userId, playedAtMs, trackId, artistName, trackName),
    user_id: context.userId,
    played_at: new Date(playedAtMs).toISOString(),
    ended_at: new Date(endedAt).toISOString(),
    track_id: trackId,
    track_uri: trackUri,
    track_name: trackName,
    album_name: str(entry.master_metadata_album_album_name),
    artist_name: artistName,
    artist_names: artistName ? [artistName] : null,
    ms_played: msPlayed,
    counts_as_play: countsAsPlay,
    skipped: bool(entry.skipped),
    reason_start: str(entry.reason_start),
    reason_end: str(entry.reason_end),
    shuffle: bool(entry.shuffle),
    offline: bool(entry.offline),
    incognito_mode: bool(entry.incognito_mode),
    platform: str(entry.platform),
    conn_country: str(entry.conn_country),
    duration_ms: int(entry.duration_ms),
    source: 'spotify-export',
    ingested_at: context.ingestedAt,
  }, index)
}

/**
 * The entries of an export file arriving as text chunks, parsed a chunk's worth at a time (one JSON.parse for the
 * batch; item by item only to find the entry at fault).
 */
export async function * entriesOf (file: string, chunks: AsyncIterable<string>): AsyncGenerator<unknown[]> {
  let index = 0
  try {
    for await (const texts of jsonArrayBatches(chunks)) {
      let values: unknown[] | undefined
      try {
        values = JSON.parse(`[${texts.join(',')}]`) as unknown[]
      } catch {}
      // Items hold no more than one value each (the scan splits at top-level commas), so the counts match.
      if (values?.length !== texts.length) {
        values = []
        for (const text of texts) {
          try {
            values.push(JSON.parse(text))
          } catch (err) {
            if (values.length > 0) yield values
            throw invalidExport(file, `entry ${index} is not valid JSON (${shortReason(err)})`, `${file}[${index}]`, 'must be valid JSON')
          }
          index++
        }
        yield values
        continue
      }
      index += values.length
      yield values
    }
  } catch (err) {
    if (err instanceof JsonArrayError && err.index !== undefined) {
      throw invalidExport(file, err.message, `${file}[${err.index}]`, `must be under ${defaultMaxItemChars / 1024 / 1024} MB`)
    }
    if (err instanceof JsonArrayError) {
      throw invalidExport(file, `is not a Spotify extended streaming history file: ${err.message}`, file, 'must be a JSON array of entries')
    }
    throw err
  }
}

/** A single Streaming_History_Audio_*.json is about 12 MB; leave room for unusually large ones. */
export const maxJsonUploadBytes = 200 * 1024 * 1024

/** The chunks of an upload as they arrive; a 413 once they pass `limit` bytes. */
async function * limited (stream: NodeJS.ReadableStream, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length
    if (bytes > limit) throw new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than ${megabytes(limit)}`, { details: [{ field: 'body', problem: `must be at most ${megabytes(limit)}` }] })
    yield chunk
  }
}

/** A JSON upload as UTF-8 text, chunk by chunk as it arrives (never held whole); a 413 once it passes `limit` bytes. */
export function uploadText (stream: NodeJS.ReadableStream, limit: number): AsyncGenerator<string> {
  return utf8Text(limited(stream, limit))
}

/** Bytes as UTF-8 text, chunk by chunk (a character split between chunks is kept whole). */
export async function * utf8Text (chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  for await (const chunk of chunks) {
    const text = decoder.write(chunk)
    if (text) yield text
  }
  const rest = decoder.end()
  if (rest) yield rest
}

/** Copies an upload to disk without holding it in memory; a 413 once it passes `limit` bytes. */
export async function saveUpload (stream: NodeJS.ReadableStream, target: string, limit: number): Promise<number> {
  await fs.mkdir(path.dirname(target), { recursive: true })
  let bytes = 0
  await writeChunks(target, limited(stream, limit), (chunk) => { bytes += chunk.length })
  return bytes
}
