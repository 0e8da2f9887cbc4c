import { fileURLToPath } from 'node:url'
import { forkChild, siblingModule } from '../../child-process.ts'
import { receivedError, type SentError } from '../../sent-errors.ts'
import type { ExportFileOnDisk } from './export-files.ts'
import { defaultZipLimits, type ZipLimits } from './export-zip.ts'

/**
 * The audio files of an export zip are inflated, measured and written by a child process. A ten-year export inflates
 * to some 800 MB, which passes through JavaScript as 64 KB Buffers: on the main thread, every 9 MB of them set off a
 * full collection of the service's heap, about 90 in one import and 6 s of CPU taken from DuckDB on a two-core
 * machine. The child's heap is a few MB, so its collections cost little, and the service only hands each file to
 * DuckDB as it lands.
 *
 * A process, not a worker thread: the service runs without V8's compilers (lite mode, 15–25 MB less resident), and
 * measuring every byte of the files is the one loop of its JavaScript that needs them (an import took 10× as long as
 * DuckDB alone, not 3×). The child has them, and a damaged or hostile zip that crashes it fails the import, never the
 * service.
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

/**
 * The child's heap holds a few MB (its modules and a few chunks in flight). Small limits keep its collections frequent
 * and its footprint near that. A runaway fails the import instead of growing.
 */
const childFlags = ['--max-semi-space-size=1', '--max-old-space-size=32', '--expose-gc']
const childFile = fileURLToPath(siblingModule(import.meta.url, 'export-unpack-child'))

/**
 * Unpacks the audio history files of an export zip into `dir` as `exportFileName(0)`, `(1)`, …, handing each to
 * `onFile` as soon as it is written. Rejects as `readExportZip` does (400 damaged, 413 past `limits`, a full or
 * read-only disk as its errno); the child has exited before the promise settles either way, so no file is written
 * after it.
 */
export function unpackExportZip (
  zipFile: string,
  dir: string,
  onFile: (file: ExportFileOnDisk) => void,
  limits: ZipLimits = defaultZipLimits
): Promise<{ files: ExportFileOnDisk[], ignored: string[] }> {
  const request: UnpackRequest = { zipFile, dir, limits }
  // The compilers on: not the service's lite mode.
  const { child, lastStderrLine } = forkChild(childFile, childFlags)
  // 'close', not 'exit': by then the child's stderr is read to its last line.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const files: ExportFileOnDisk[] = []
  return new Promise((resolve, reject) => {
    let settled = false
    /** `stop`: the child is killed first (it would go on writing); otherwise it is ending by itself. */
    const settle = (outcome: () => void, stop = false): void => {
      if (settled) return
      settled = true
      if (stop && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      exited.then(outcome).catch(() => {})
    }
    child.on('message', (message: UnpackMessage) => {
      if (message.kind === 'file') {
        files.push(message.file)
        try {
          if (!settled) onFile(message.file)
        } catch (err) {
          settle(() => reject(err), true)
        }
      } else if (message.kind === 'done') {
        settle(() => resolve({ files, ignored: message.ignored }))
      } else {
        settle(() => reject(receivedError(message.error)))
      }
    })
    // A child that could not start has no exit to wait for.
    child.on('error', (err) => { if (!settled) { settled = true; child.kill('SIGKILL'); reject(err) } })
    child.on('close', (code, signal) => settle(() => {
      const last = lastStderrLine()
      reject(new Error(`unpacking the export stopped (${signal ?? `exit code ${code}`})${last ? `: ${last}` : ''}`))
    }))
    child.send(request)
  })
}
