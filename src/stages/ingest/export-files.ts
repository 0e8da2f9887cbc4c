import { writeChunks } from '../../lake/file-writer.ts'
import { createArrayElementSizer, type ArrayElementSizes } from './json-element-sizes.ts'

/** An audio file of the export, inflated to disk, with the sizes of its array's elements. */
export interface ExportFileOnDisk extends ArrayElementSizes {
  name: string
  path: string
}

/** The name of the `index`th file on disk: the index is read back from the name. */
export const exportFileName = (index: number): string => `export-${String(index).padStart(5, '0')}.json`

/**
 * Writes an inflated export file to disk, measuring its array's elements on the way (DuckDB measuring them took a
 * second pass over every file).
 */
export async function writeExportFile (target: string, chunks: AsyncIterable<Buffer>): Promise<ArrayElementSizes> {
  const sizer = createArrayElementSizer()
  await writeChunks(target, chunks, (chunk) => sizer.write(chunk))
  return sizer.result()
}
