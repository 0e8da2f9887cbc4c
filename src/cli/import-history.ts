import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { pipeline, Transform } from 'node:stream'
import type { Config } from '../config.ts'
import { answerMessage } from '../daily/route-caller.ts'
import type { ImportResult } from '../stages/ingest/export-import.ts'
import { openService } from './context.ts'
import { bytes, count, duration, table } from './format.ts'
import { CliFailure, type CliIo } from './io.ts'
import { createProgress } from './progress.ts'

/** The part of the import's answer this command adds up over its uploads. */
type ImportAnswer = Pick<ImportResult, 'files' | 'rows' | 'inserted' | 'duplicates' | 'skipped' | 'shortPlays' | 'quarantined' | 'ignoredFiles'>

interface Upload {
  name: string
  file: string
  contentType: string
  bytes: number
}

const audioHistory = /^Streaming_History_Audio_.*\.json$/i

/** What to send: the zip, the one JSON file, or every Streaming_History_Audio_*.json of a folder. */
async function uploadsFor (target: string): Promise<Upload[]> {
  const stat = await fs.stat(target).catch(() => undefined)
  if (!stat) throw new CliFailure(`${target}: no such file or folder`)
  if (stat.isDirectory()) {
    const names = (await fs.readdir(target)).filter((name) => audioHistory.test(name)).sort()
    if (names.length === 0) throw new CliFailure(`${target}: no Streaming_History_Audio_*.json in this folder (the export zip works too)`)
    return Promise.all(names.map(async (name) => {
      const file = path.join(target, name)
      return { name, file, contentType: 'application/json', bytes: (await fs.stat(file)).size }
    }))
  }
  const handle = await fs.open(target, 'r')
  const magic = Buffer.alloc(4)
  try {
    await handle.read(magic, 0, 4, 0)
  } finally {
    await handle.close()
  }
  const zip = magic.readUInt32LE(0) === 0x04034b50
  return [{ name: path.basename(target), file: target, contentType: zip ? 'application/zip' : 'application/json', bytes: stat.size }]
}

/** `tracklake import-history <zip|folder|json>`: the same import as POST /v1/ingest/streaming-history. */
export async function importHistoryCommand (target: string, config: Config, io: CliIo): Promise<number> {
  const uploads = await uploadsFor(target)
  const total = uploads.reduce((sum, u) => sum + u.bytes, 0)
  const service = await openService(config, io, 'import-history')
  const progress = createProgress(io.out)
  const started = Date.now()
  const results: Array<{ name: string, answer: ImportAnswer }> = []
  let sent = 0
  try {
    progress.start('import-history', 'Listening history', bytes)
    progress.update(0, total)
    for (const upload of uploads) {
      // Counted as the route reads it (a 'data' listener on the file itself would start the flow before anyone reads).
      const stream = new Transform({
        transform (chunk: Buffer, _encoding, done) {
          sent += chunk.length
          progress.update(sent, total)
          done(null, chunk)
        },
        flush (done) {
          // All sent: the import now writes the plays, which takes a while for a long history.
          if (sent === total) progress.update(sent, total, 'writing to the lake…')
          done()
        },
      })
      // pipeline, not pipe: a file that fails as it is read ends its upload with the error, instead of emitting one
      // nobody hears (which ended the command with a stack trace).
      let unreadable: Error | undefined
      pipeline(createReadStream(upload.file), stream, (err) => { if (err) unreadable ??= err })
      const query = upload.contentType === 'application/json' ? `?file=${encodeURIComponent(upload.name)}` : ''
      const failedRead = (err: Error): CliFailure => new CliFailure(`${upload.name}: cannot be read (${err.message})`)
      const answer = await service.upload(`/v1/ingest/streaming-history${query}`, upload.contentType, stream, upload.bytes).catch((err: unknown) => {
        throw unreadable ? failedRead(unreadable) : err
      })
      if (unreadable) throw failedRead(unreadable)
      if (answer.status !== 200) throw new CliFailure(`${upload.name}: ${answerMessage(answer)}`)
      results.push({ name: upload.name, answer: answer.body as ImportAnswer })
    }
  } finally {
    await service.close()
  }
  const sum = (pick: (a: ImportAnswer) => number): number => results.reduce((s, r) => s + pick(r.answer), 0)
  progress.end(`import-history: ${count(sum((a) => a.inserted))} new plays of ${count(sum((a) => a.rows))} in ${duration((Date.now() - started) / 1000)}`)
  io.out.write(`\n${table(['what', 'count'], [
    ['audio history files', count(sum((a) => a.files))],
    ['plays found', count(sum((a) => a.rows))],
    ['new plays', count(sum((a) => a.inserted))],
    ['already stored', count(sum((a) => a.duplicates))],
    ['shorter than 30 s (stored, not counted)', count(sum((a) => a.shortPlays))],
    ['podcasts, audiobooks, no track (skipped)', count(sum((a) => a.skipped))],
    ['quarantined', count(sum((a) => a.quarantined))],
  ], { right: [1] })}`)
  return 0
}
