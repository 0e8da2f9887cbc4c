import fs from 'node:fs/promises'
import { pipeline } from 'node:stream'
import { createInflateRaw } from 'node:zlib'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import yauzl from 'yauzl'
import { AppError, quote, truncate } from '../../errors.ts'
import { bool, int, str } from '../../json-values.ts'
import { defaultMaxItemChars, JsonArrayError, jsonArrayBatches } from './json-array-stream.ts'
import { parseTimestamp } from '../../lake/values.ts'
import { dataDirUnavailable } from '../../lake/lake.ts'
import { writeChunks } from '../../lake/file-writer.ts'
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

const mb = (bytes: number): string => `${Math.ceil(bytes / 1024 / 1024)} MB`
/** An underlying error's message, short: yauzl's messages quote entry names, which can be 64 KB long. */
const reason = (err: unknown): string => truncate(String((err as Error | undefined)?.message ?? err), 200)

export const audioFilePattern = /(^|\/)(Streaming_History_Audio_[^/]*|endsong_\d+)\.json$/i

/** Zip entry names can be 64 KB long: reports and messages keep their end, where the file name is. */
const maxNameChars = 120
const displayName = (name: string): string => name.length > maxNameChars ? `…${name.slice(-(maxNameChars - 1))}` : name

function invalid (file: string, message: string, field: string, problem: string): AppError {
  return new AppError('INVALID_EXPORT', `${file}: ${message}`, { details: [{ field, problem }] })
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
    if (index === 0) throw invalid(file, 'is not a Spotify extended streaming history file: its first entry is not an object', `${file}[0]`, 'must be an object')
    return bad('entry', 'must be an object')
  }
  const entry = value as Record<string, unknown>
  if (index === 0 && !('ts' in entry) && !('ms_played' in entry)) {
    throw invalid(file, 'is not a Spotify extended streaming history file: its entries have no ts or ms_played', `${file}[0]`, 'has no ts or ms_played')
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
            throw invalid(file, `entry ${index} is not valid JSON (${reason(err)})`, `${file}[${index}]`, 'must be valid JSON')
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
      throw invalid(file, err.message, `${file}[${err.index}]`, `must be under ${defaultMaxItemChars / 1024 / 1024} MB`)
    }
    if (err instanceof JsonArrayError) {
      throw invalid(file, `is not a Spotify extended streaming history file: ${err.message}`, file, 'must be a JSON array of entries')
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
    if (bytes > limit) throw new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than ${mb(limit)}`, { details: [{ field: 'body', problem: `must be at most ${mb(limit)}` }] })
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

/** What an export zip may hold; past these it answers 413 before inflating anything. */
export interface ZipLimits {
  /** inflated bytes of one audio file (a real one is about 12 MB) */
  entryBytes: number
  /** inflated bytes of all audio files together (ten years are about 150 MB) */
  totalBytes: number
  /** inflated over compressed size of an audio file over 1 MB (real files: about 15; one song on repeat: about 130) */
  ratio: number
  /** entries in the zip (an export holds a few dozen) */
  entries: number
}

export const defaultZipLimits: ZipLimits = { entryBytes: 512 * 1024 * 1024, totalBytes: 2 * 1024 * 1024 * 1024, ratio: 500, entries: 10_000 }
const ratioCheckedFrom = 1024 * 1024

const tooLarge = (name: string, message: string, problem: string): AppError =>
  new AppError('PAYLOAD_TOO_LARGE', `${name}: ${message}`, { details: [{ field: name, problem }] })

function openZip (file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true, strictFileNames: false, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) reject(new AppError('INVALID_EXPORT', `the upload is not a readable zip archive (${reason(err)})`, { details: [{ field: 'body', problem: 'must be a zip archive' }] }))
      else resolve(zip)
    })
  })
}

/**
 * The entry's stored bytes (yauzl's raw mode), inflated here: yauzl would pass every 16 KB chunk through its own inflate
 * and a byte-counting stream; 64 KB chunks from one inflate take half the CPU (1.5 s less for a ten-year export) and
 * no more memory (larger chunks cost glibc's arenas 10–30 MB). The entry's declared size is checked in `bytesOf`.
 */
function openEntry (zip: yauzl.ZipFile, entry: yauzl.Entry, name: string): Promise<NodeJS.ReadableStream & { destroy (): void }> {
  if (entry.isEncrypted()) return Promise.reject(invalid(name, 'is encrypted in the zip', name, 'must not be encrypted'))
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return Promise.reject(invalid(name, `is stored with compression method ${entry.compressionMethod}; an export uses deflate`, name, 'must be stored or deflated'))
  }
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, { decodeFileData: false }, (err, stream) => {
      if (err || !stream) reject(invalid(name, `cannot be read from the zip (${reason(err)})`, name, 'must be readable'))
      else if (entry.compressionMethod === 0) resolve(stream)
      // pipeline: an error of the stored bytes destroys the inflate with it, and reaches its reader.
      else resolve(pipeline(stream, createInflateRaw({ chunkSize: inflateChunkBytes }), () => {}))
    })
  })
}

const inflateChunkBytes = 64 * 1024

async function * bytesOf (stream: NodeJS.ReadableStream, name: string, size: number): AsyncGenerator<Buffer> {
  let bytes = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length
      if (bytes > size) throw new Error(`it inflates past the ${size} bytes its entry declares`)
      yield chunk
    }
  } catch (err) {
    throw invalid(name, `is damaged in the zip (${reason(err)})`, name, 'must be readable')
  }
  if (bytes !== size) throw invalid(name, `is damaged in the zip (it inflates to ${bytes} bytes, its entry declares ${size})`, name, 'must be readable')
}

/**
 * Reads the audio history files of an export zip one at a time (a 10-year export is many 12 MB files), handing each
 * file's bytes to `onFile` as they inflate. Video history, the PDF and any other file are listed as ignored. Every failure of the zip
 * or of `onFile` rejects (400 damaged, 413 past `limits`); none may escape as an uncaught exception, which would
 * stop the process.
 */
export async function readExportZip (
  file: string,
  onFile: (name: string, chunks: AsyncIterable<Buffer>) => Promise<void>,
  limits: ZipLimits = defaultZipLimits
): Promise<{ files: string[], ignored: string[] }> {
  const zip = await openZip(file)
  const files: string[] = []
  const ignored: string[] = []
  let inflated = 0

  async function readAudio (entry: yauzl.Entry, name: string): Promise<void> {
    const size = entry.uncompressedSize
    if (size > limits.entryBytes) throw tooLarge(name, `says it inflates to ${mb(size)}; an export file is at most ${mb(limits.entryBytes)}`, `must inflate to at most ${mb(limits.entryBytes)}`)
    if (size > ratioCheckedFrom && size > entry.compressedSize * limits.ratio) {
      throw tooLarge(name, `is compressed ${Math.round(size / Math.max(entry.compressedSize, 1))} to 1 (${mb(size)}), far more than JSON compresses; refused as a zip bomb`, `must compress at most ${limits.ratio} to 1`)
    }
    inflated += size
    if (inflated > limits.totalBytes) throw tooLarge(name, `the audio files inflate to more than ${mb(limits.totalBytes)} together`, `all audio files must inflate to at most ${mb(limits.totalBytes)} together`)
    const stream = await openEntry(zip, entry, name)
    // Errors reach the reader through the iterator; this one hears those of a stream it stopped reading early.
    stream.on('error', () => {})
    try {
      await onFile(name, bytesOf(stream, name, size))
    } finally {
      stream.destroy()
    }
  }

  try {
    if (zip.entryCount > limits.entries) {
      throw new AppError('PAYLOAD_TOO_LARGE', `the zip holds ${zip.entryCount} entries; an export holds a few dozen (at most ${limits.entries} are read)`, {
        details: [{ field: 'body', problem: `must hold at most ${limits.entries} entries` }],
      })
    }
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const fail = (err: unknown): void => {
        settled = true
        // A full or read-only disk is the lake's state (503 LAKE_UNAVAILABLE), not a damaged zip.
        reject(err instanceof AppError || dataDirUnavailable(err) ? err : new AppError('INVALID_EXPORT', `the zip archive is damaged (${reason(err)})`, { details: [{ field: 'body', problem: 'must be an intact zip archive' }] }))
      }
      const next = (): void => { if (!settled) zip.readEntry() }
      zip.on('error', fail)
      zip.on('end', () => { settled = true; resolve() })
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = displayName(entry.fileName)
        if (entry.fileName.endsWith('/') || !audioFilePattern.test(entry.fileName)) {
          if (!entry.fileName.endsWith('/')) ignored.push(name)
          next()
          return
        }
        readAudio(entry, name).then(() => {
          files.push(name)
          next()
        }, fail)
      })
      next()
    })
  } finally {
    zip.close()
  }
  if (files.length === 0) {
    throw new AppError('INVALID_EXPORT', `the zip holds no Streaming_History_Audio_*.json file${ignored.length > 0 ? ` (it holds ${ignored.slice(0, 10).join(', ')}${ignored.length > 10 ? ', …' : ''})` : ''}`, {
      details: [{ field: 'body', problem: 'must be a Spotify extended streaming history export' }],
    })
  }
  return { files, ignored }
}
