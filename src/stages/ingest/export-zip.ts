import { pipeline } from 'node:stream'
import { createInflateRaw } from 'node:zlib'
import yauzl from 'yauzl'
import { AppError } from '../../errors.ts'
import { dataDirUnavailable } from '../../lake/data-dir-state.ts'
import { invalidExport, megabytes, shortReason } from './export-errors.ts'

/**
 * The audio history files of an export zip, read one at a time and inflated as they stream. Kept apart from the
 * service's heavier modules: the unpacking child process (export-unpacking.ts) loads this module and little else.
 */

export const audioFilePattern = /(^|\/)(Streaming_History_Audio_[^/]*|endsong_\d+)\.json$/i

/** Zip entry names can be 64 KB long: reports and messages keep their end, where the file name is. */
const maxNameChars = 120
const displayName = (name: string): string => name.length > maxNameChars ? `…${name.slice(-(maxNameChars - 1))}` : name

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
      if (err || !zip) reject(new AppError('INVALID_EXPORT', `the upload is not a readable zip archive (${shortReason(err)})`, { details: [{ field: 'body', problem: 'must be a zip archive' }] }))
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
  if (entry.isEncrypted()) return Promise.reject(invalidExport(name, 'is encrypted in the zip', name, 'must not be encrypted'))
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return Promise.reject(invalidExport(name, `is stored with compression method ${entry.compressionMethod}; an export uses deflate`, name, 'must be stored or deflated'))
  }
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, { decodeFileData: false }, (err, stream) => {
      if (err || !stream) reject(invalidExport(name, `cannot be read from the zip (${shortReason(err)})`, name, 'must be readable'))
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
    throw invalidExport(name, `is damaged in the zip (${shortReason(err)})`, name, 'must be readable')
  }
  if (bytes !== size) throw invalidExport(name, `is damaged in the zip (it inflates to ${bytes} bytes, its entry declares ${size})`, name, 'must be readable')
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
    if (size > limits.entryBytes) throw tooLarge(name, `says it inflates to ${megabytes(size)}; an export file is at most ${megabytes(limits.entryBytes)}`, `must inflate to at most ${megabytes(limits.entryBytes)}`)
    if (size > ratioCheckedFrom && size > entry.compressedSize * limits.ratio) {
      throw tooLarge(name, `is compressed ${Math.round(size / Math.max(entry.compressedSize, 1))} to 1 (${megabytes(size)}), far more than JSON compresses; refused as a zip bomb`, `must compress at most ${limits.ratio} to 1`)
    }
    inflated += size
    if (inflated > limits.totalBytes) throw tooLarge(name, `the audio files inflate to more than ${megabytes(limits.totalBytes)} together`, `all audio files must inflate to at most ${megabytes(limits.totalBytes)} together`)
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
        reject(err instanceof AppError || dataDirUnavailable(err) ? err : new AppError('INVALID_EXPORT', `the zip archive is damaged (${shortReason(err)})`, { details: [{ field: 'body', problem: 'must be an intact zip archive' }] }))
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
