import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../../config.ts'
import type { Lake } from '../../lake/lake.ts'
import { quarantineRow, type QuarantineRow } from '../../lake/quarantine.ts'
import { isLargeStagedWrite, withStaging } from '../../lake/staging-writer.ts'
import { RowProblem } from '../../lake/table.ts'
import { storesOtherSources, writePlays } from './plays-store.ts'
import type { ExportFileOnDisk } from './export-files.ts'
import { createExportStager, fileOrdBase, stagedEntriesSelect, type StagedExportEntries } from './export-sql.ts'
import { unpackExportZip } from './export-unpacking.ts'
import { entriesOf, maxJsonUploadBytes, parseExportEntries, saveUpload, uploadText, utf8Text, type ExportFileReport, type SkipCounts } from './streaming-history.ts'
import { tracksPlayed } from './tables.ts'

export const maxUploadBytes = 2 * 1024 * 1024 * 1024
/** Records kept in the quarantine table per import; past this they are only counted. */
const maxQuarantinedKept = 1000

export interface ImportResult {
  files: number
  rows: number
  inserted: number
  duplicates: number
  skipped: number
  shortPlays: number
  /** entries the lake could not store, set aside in the quarantine table (the others were written) */
  quarantined: number
  skippedBy: SkipCounts
  ignoredFiles: string[]
  fileReports: ExportFileReport[]
}

export type ExportUpload = { kind: 'json' | 'zip', name: string, stream: NodeJS.ReadableStream }

/** Spotify's extended streaming history, one JSON file or the whole export zip, streamed entry by entry. */
export function createExportImport (deps: {
  config: Config
  lake: Lake
  now: () => Date
  /** false: every file of a zip goes through the JavaScript parser (the tests compare both ways) */
  readsWithDuckDb?: boolean
}): (upload: ExportUpload) => Promise<ImportResult> {
  const { lake, now } = deps
  const userId = deps.config.userId

  return async function importExport (upload: ExportUpload): Promise<ImportResult> {
    const ingestedAt = now().toISOString()
    const quarantined: QuarantineRow[] = []
    let rejected = 0
    let where = ''
    // Rows stream to staging files: an entry the lake cannot store is set aside, the others are written.
    return withStaging(lake.tmpDir, 'import', {
      table: tracksPlayed,
      query: lake.query,
      onReject: (bad) => {
        rejected++
        if (quarantined.length < maxQuarantinedKept) quarantined.push(quarantineRow(tracksPlayed.name, where, bad, ingestedAt))
      },
    }, async (staging, work) => {
      const reports: Array<ExportFileReport & SkipCounts> = []
      const parseFile = async (name: string, entries: AsyncIterable<unknown[]>, ordBase = 0): Promise<ExportFileReport & SkipCounts> =>
        parseExportEntries(name, entries, { userId, ingestedAt }, (row, index) => {
          where = `spotify-export:${name}[${index}]`
          return staging.write(row, ordBase + index)
        }, (bad) => {
          rejected++
          const row = bad.entry && typeof bad.entry === 'object' ? bad.entry as Record<string, unknown> : { entry: bad.entry }
          if (quarantined.length < maxQuarantinedKept) {
            quarantined.push(quarantineRow(tracksPlayed.name, `spotify-export:${name}[${bad.index}]`, { index: bad.index, row, problem: new RowProblem(bad.field, bad.problem) }, ingestedAt))
          }
        })
      let ignored: string[] = []
      let entries: StagedExportEntries | undefined
      const staged = await leanWhile(lake, async () => {
        if (upload.kind === 'json') {
          // Parsed as it arrives, entry by entry, like a file of the zip: a 200 MB body is never held whole.
          reports.push(await parseFile(upload.name, entriesOf(upload.name, uploadText(upload.stream, maxJsonUploadBytes))))
          return staging.finish()
        }
        const zipFile = path.join(work, 'upload.zip')
        await saveUpload(upload.stream, zipFile, maxUploadBytes)
        let files: ExportFileOnDisk[] = []
        // DuckDB reads the files a few at a time while a worker thread inflates the next.
        const stager = createExportStager(lake.query, work, { userId, ingestedAt }, { enabled: deps.readsWithDuckDb ?? true })
        try {
          ({ files, ignored } = await unpackExportZip(zipFile, work, (file) => stager.add(file)))
          await fs.rm(zipFile)
          entries = await stager.finish()
        } finally {
          await stager.idle()
        }
        const parsed = new Map(entries.reports)
        // The files DuckDB declined, in order: each is parsed as it always was, entry by entry.
        for (const index of entries.declined) {
          const file = files[index]!
          parsed.set(index, await parseFile(file.name, entriesOf(file.name, utf8Text(createReadStream(file.path))), fileOrdBase(index)))
        }
        reports.push(...files.map((_file, index) => parsed.get(index)!))
        return staging.finish()
      })
      if (entries && entries.rows > 0) {
        staged.rows += entries.rows
        staged.alsoSelect = stagedEntriesSelect(entries)
      }
      // The parser's memory is free again: the merge runs on DuckDB's threads (a million plays in half the time, at
      // the same peak), lean only when it matches plays across sources.
      const lean = isLargeStagedWrite(staged.rows) && await storesOtherSources(lake, 'spotify-export')
      const result = await writePlays(lake, staged, quarantined, { lean })
      const sum = (pick: (r: ExportFileReport & SkipCounts) => number): number => reports.reduce((total, r) => total + pick(r), 0)
      return {
        files: reports.length,
        rows: result.rows,
        inserted: result.inserted,
        duplicates: result.duplicates,
        skipped: sum((r) => r.skipped),
        shortPlays: sum((r) => r.shortPlays),
        quarantined: rejected,
        skippedBy: { episodes: sum((r) => r.episodes), audiobooks: sum((r) => r.audiobooks), noTrack: sum((r) => r.noTrack) },
        ignoredFiles: ignored,
        fileReports: reports.map(({ name, entries, rows, shortPlays, skipped, quarantined }) => ({ name, entries, rows, shortPlays, skipped, quarantined })),
      }
    })
  }
}

/**
 * Runs `fn` with DuckDB lean (on one thread): the staged files are converted to parquet while
 * the export is parsed, and two DuckDB threads beside the parser would lift the service's peak by some 30 MB. A write
 * that locks no table is the lake's way in; `fn`'s own error is the one answered (the lake would wrap it as a failed
 * write).
 */
async function leanWhile<T> (lake: Lake, fn: () => Promise<T>): Promise<T> {
  let failure: { err: unknown } | undefined
  const result = await lake.write([], async () => {
    try {
      return await fn()
    } catch (err) {
      failure = { err }
      return undefined
    }
  }, { lean: true })
  if (failure) throw failure.err
  return result as T
}
