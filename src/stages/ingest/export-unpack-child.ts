import path from 'node:path'
import { collectYoungGarbage } from '../../collect-garbage.ts'
import { sendableError } from '../../sent-errors.ts'
import { exportFileName, writeExportFile } from './export-files.ts'
import type { UnpackMessage, UnpackRequest } from './export-unpacking.ts'
import { readExportZip } from './export-zip.ts'

/**
 * The child process of export-unpacking.ts: reads the zip, writes each audio file, and reports each one as it lands.
 * It ends with the service: when the IPC channel closes (the service stopped or was killed), it stops writing.
 */
const send = (message: UnpackMessage): Promise<void> => new Promise((resolve) => process.send!(message, () => resolve()))
process.once('disconnect', () => process.exit(1))

let written = 0
const collectEveryBytes = 256 * 1024

/**
 * The inflated chunks, each collected soon after it is written. The child's JavaScript allocates little, so its young
 * generation filled, and its dead chunks went, only every few hundred chunks: a young collection every 256 KB keeps
 * them to a few MB.
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

async function unpack ({ zipFile, dir, limits }: UnpackRequest): Promise<void> {
  try {
    const { ignored } = await readExportZip(zipFile, async (name, chunks) => {
      const file = path.join(dir, exportFileName(written++))
      await send({ kind: 'file', file: { name, path: file, ...await writeExportFile(file, collectedAsTheyGo(chunks)) } })
    }, limits)
    await send({ kind: 'done', ignored })
  } catch (err) {
    await send({ kind: 'failed', error: sendableError(err) })
  }
  process.exit(0)
}

process.once('message', (request: UnpackRequest) => { unpack(request).catch(() => process.exit(1)) })
