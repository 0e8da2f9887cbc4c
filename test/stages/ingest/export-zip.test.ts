import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultZipLimits, readExportZip, type ZipLimits } from '../../../src/stages/ingest/export-zip.ts'
import { makeTempDir } from '../../helpers/build-app.ts'
import { exportEntry, exportZip } from '../../helpers/export.ts'

describe('readExportZip', () => {
  let dir: string
  beforeEach(async () => { dir = await makeTempDir() })
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

  const read = async (files: Record<string, unknown>, limits: Partial<ZipLimits>) => {
    const file = path.join(dir, 'upload.zip')
    await fs.writeFile(file, await exportZip(files))
    return readExportZip(file, async (_name, chunks) => { for await (const chunk of chunks) expect(Buffer.isBuffer(chunk)).toBe(true) }, { ...defaultZipLimits, ...limits })
  }
  const year = (y: number) => [exportEntry({ ts: `${y}-01-01T10:00:00Z` })]

  it('holds every audio file to the entry size, and all of them to the total', async () => {
    const files = { 'Streaming_History_Audio_2023.json': year(2023), 'Streaming_History_Audio_2024.json': year(2024) }
    const size = JSON.stringify(year(2023)).length
    await expect(read(files, { entryBytes: size - 1 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('Streaming_History_Audio_2023.json') })
    await expect(read(files, { totalBytes: size * 2 - 1 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('together') })
    await expect(read(files, { totalBytes: size * 2 })).resolves.toMatchObject({ files: Object.keys(files) })
  })

  it('refuses a zip of more entries than an export holds', async () => {
    const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`file-${i}.txt`, 'x']))
    await expect(read({ ...files, 'Streaming_History_Audio_2024.json': year(2024) }, { entries: 5 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
  })
})
