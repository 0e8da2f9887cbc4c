import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.ts'
import type { ExportFileOnDisk } from '../../../src/stages/ingest/export-files.ts'
import { unpackExportZip } from '../../../src/stages/ingest/export-unpacking.ts'
import { defaultZipLimits } from '../../../src/stages/ingest/export-zip.ts'
import { makeTempDir } from '../../helpers/build-app.ts'
import { exportEntry, exportZip } from '../../helpers/export.ts'

describe('unpackExportZip', () => {
  let dir: string
  beforeEach(async () => { dir = await makeTempDir() })
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

  const zipOf = async (files: Record<string, unknown>): Promise<string> => {
    const file = path.join(dir, 'upload.zip')
    await fs.writeFile(file, await exportZip(files))
    return file
  }
  const year = (y: number) => [exportEntry({ ts: `${y}-01-01T10:00:00Z` }), exportEntry({ ts: `${y}-06-01T10:00:00Z` })]

  it('writes each audio file in a child process and hands it over as it lands, with its sizes', async () => {
    const zip = await zipOf({ 'Streaming_History_Audio_2023.json': year(2023), 'Streaming_History_Audio_2024.json': year(2024), 'Userdata.json': { a: 1 } })
    const seen: ExportFileOnDisk[] = []
    const unpacked = await unpackExportZip(zip, dir, (file) => seen.push(file))

    expect(unpacked.ignored).toEqual([expect.stringContaining('Userdata.json')])
    expect(unpacked.files).toEqual(seen)
    expect(seen.map((file) => [path.basename(file.name), path.basename(file.path)])).toEqual([
      ['Streaming_History_Audio_2023.json', 'export-00000.json'],
      ['Streaming_History_Audio_2024.json', 'export-00001.json'],
    ])
    for (const [index, file] of seen.entries()) {
      const text = await fs.readFile(file.path, 'utf8')
      expect(JSON.parse(text)).toEqual(year(2023 + index))
      expect(file.startsArray).toBe(true)
      expect(file.largestElementBytes).toBeGreaterThanOrEqual(JSON.stringify(year(2023)[0]).length)
    }
  })

  it("answers the zip reader's refusals as the same AppErrors, code and details", async () => {
    const zip = await zipOf({ 'Streaming_History_Audio_2023.json': year(2023) })
    const refusal = unpackExportZip(zip, dir, () => {}, { ...defaultZipLimits, entryBytes: 10 })
    await expect(refusal).rejects.toBeInstanceOf(AppError)
    await expect(refusal).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', statusCode: 413, details: [{ field: expect.stringContaining('Streaming_History_Audio_2023.json') }] })

    await fs.writeFile(path.join(dir, 'broken.zip'), 'PK not a zip at all')
    await expect(unpackExportZip(path.join(dir, 'broken.zip'), dir, () => {})).rejects.toMatchObject({ code: 'INVALID_EXPORT', details: [{ field: 'body' }] })
  })

  it('stops when the receiving side fails, with its error', async () => {
    const zip = await zipOf({ 'Streaming_History_Audio_2023.json': year(2023), 'Streaming_History_Audio_2024.json': year(2024) })
    await expect(unpackExportZip(zip, dir, () => { throw new Error('the stager broke') })).rejects.toThrow('the stager broke')
  })
})
