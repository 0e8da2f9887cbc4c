import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { AppError, errorTable, type ErrorCode, type FieldProblem } from '../../errors.ts'
import type { ExportFileOnDisk } from './export-files.ts'
import { defaultZipLimits, type ZipLimits } from './export-zip.ts'

/**
 * The audio files of an export zip are inflated, measured and written by a worker thread. A ten-year export inflates
 * to some 800 MB, which passes through JavaScript as 64 KB Buffers: on the main thread, every 9 MB of them set off a
 * full collection of the service's 30 MB heap, about 90 in one import and 6 s of CPU taken from DuckDB on a two-core
 * machine. The worker's heap is a few MB, so its collections cost little, and the main thread only hands each file to
 * DuckDB as it lands.
 */

export interface UnpackRequest {
  zipFile: string
  dir: string
  limits: ZipLimits
}

export type UnpackMessage =
  | { kind: 'file', file: ExportFileOnDisk }
  | { kind: 'done', ignored: string[] }
  | { kind: 'failed', error: SentError }

/** An error as it crosses between threads: an AppError keeps its code and details, a file system error its errno. */
export interface SentError {
  message: string
  appCode?: ErrorCode
  details?: FieldProblem[]
  errno?: string
}

export function sendableError (err: unknown): SentError {
  if (err instanceof AppError) return { message: err.message, appCode: err.code, ...err.details ? { details: err.details } : {} }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code
  return { message: err instanceof Error ? err.message : String(err), ...typeof errno === 'string' ? { errno } : {} }
}

export function receivedError (sent: SentError): Error {
  if (sent.appCode && sent.appCode in errorTable) return new AppError(sent.appCode, sent.message, sent.details ? { details: sent.details } : {})
  return Object.assign(new Error(sent.message), sent.errno ? { code: sent.errno } : {})
}

/**
 * The worker's heap holds about 6 MB (its modules and a few chunks in flight). Small limits keep its collections
 * frequent and its footprint near that: with V8's defaults the import's peak was 5 MB higher. A runaway fails the
 * import instead of growing.
 */
const workerLimits = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 }
const workerFile = new URL(`./export-unpack-worker${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/**
 * Unpacks the audio history files of an export zip into `dir` as `exportFileName(0)`, `(1)`, …, handing each to
 * `onFile` as soon as it is written. Rejects as `readExportZip` does (400 damaged, 413 past `limits`, a full or
 * read-only disk as its errno); the worker is stopped before the promise settles either way.
 */
export function unpackExportZip (
  zipFile: string,
  dir: string,
  onFile: (file: ExportFileOnDisk) => void,
  limits: ZipLimits = defaultZipLimits
): Promise<{ files: ExportFileOnDisk[], ignored: string[] }> {
  const request: UnpackRequest = { zipFile, dir, limits }
  const worker = new Worker(workerFile, { workerData: request, resourceLimits: workerLimits })
  const files: ExportFileOnDisk[] = []
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (outcome: () => void): void => {
      if (settled) return
      settled = true
      worker.terminate().finally(outcome).catch(() => {})
    }
    worker.on('message', (message: UnpackMessage) => {
      if (message.kind === 'file') {
        files.push(message.file)
        try {
          if (!settled) onFile(message.file)
        } catch (err) {
          settle(() => reject(err))
        }
      } else if (message.kind === 'done') {
        settle(() => resolve({ files, ignored: message.ignored }))
      } else {
        settle(() => reject(receivedError(message.error)))
      }
    })
    worker.on('error', (err) => settle(() => reject(err)))
    worker.on('exit', (code) => settle(() => reject(new Error(`unpacking the export stopped with exit code ${code}`))))
  })
}
