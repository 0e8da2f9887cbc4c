import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { exportFileName, writeExportFile } from './export-files.ts'
import { sendableError, type UnpackMessage, type UnpackRequest } from './export-unpacking.ts'
import { readExportZip } from './export-zip.ts'

/** The worker of export-unpacking.ts: reads the zip, writes each audio file, and reports each one as it lands. */
const { zipFile, dir, limits } = workerData as UnpackRequest
const send = (message: UnpackMessage): void => parentPort!.postMessage(message)

let written = 0
try {
  const { ignored } = await readExportZip(zipFile, async (name, chunks) => {
    const file = path.join(dir, exportFileName(written++))
    send({ kind: 'file', file: { name, path: file, ...await writeExportFile(file, chunks) } })
  }, limits)
  send({ kind: 'done', ignored })
} catch (err) {
  send({ kind: 'failed', error: sendableError(err) })
}
