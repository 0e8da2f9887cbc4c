import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { collectYoungGarbage } from '../../collect-garbage.ts'
import { exportFileName, writeExportFile } from './export-files.ts'
import { sendableError, type UnpackMessage, type UnpackRequest } from './export-unpacking.ts'
import { readExportZip } from './export-zip.ts'

/** The worker of export-unpacking.ts: reads the zip, writes each audio file, and reports each one as it lands. */
const { zipFile, dir, limits } = workerData as UnpackRequest
const send = (message: UnpackMessage): void => parentPort!.postMessage(message)

let written = 0
const collectEveryBytes = 256 * 1024

/**
 * The inflated chunks, each collected soon after it is written. The worker's JavaScript allocates little, so its young
 * generation filled, and its dead chunks went, only every few hundred chunks: a young collection every 256 KB keeps
 * them to a few MB (2 MB less at the import's peak).
 */
async function * collectedAsTheyGo (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let sinceCollected = 0
  for await (const chunk of chunks) {
    yield chunk
    sinceCollected += chunk.length
    if (sinceCollected >= collectEveryBytes) {
      sinceCollected = 0
      collectYoungGarbage()
    }
  }
}

try {
  const { ignored } = await readExportZip(zipFile, async (name, chunks) => {
    const file = path.join(dir, exportFileName(written++))
    send({ kind: 'file', file: { name, path: file, ...await writeExportFile(file, collectedAsTheyGo(chunks)) } })
  }, limits)
  send({ kind: 'done', ignored })
} catch (err) {
  send({ kind: 'failed', error: sendableError(err) })
}
