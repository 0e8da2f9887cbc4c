// Hostile uploads for POST /v1/ingest/streaming-history: broken JSON, hostile entries, and zips that lie.
import fc from 'fast-check'
import yazl from 'yazl'
import { exportEntry, exportZip } from '../../test/helpers/export.ts'
import { expandDeep, hostileValue, mutate } from './arbitraries.ts'
import { syntheticId } from './world.ts'

export interface Upload {
  kind: string
  path: string
  body: Buffer | string
  contentType: string
}

const audio = 'Spotify Extended Streaming History/Streaming_History_Audio_2024.json'
const route = (file = 'Streaming_History_Audio_2024.json'): string => `/v1/ingest/streaming-history?file=${encodeURIComponent(file)}`

const entries = (first: number, count: number): Array<Record<string, unknown>> => Array.from({ length: count }, (_, i) => exportEntry({
  ts: new Date(Date.UTC(2008, 0, 1) + (first + i) * 300_000).toISOString().replace('.000Z', 'Z'),
  spotify_track_uri: `spotify:track:${syntheticId('fuzz-track', (first + i) % 40)}`,
}))

type Recipe =
  | { kind: 'entries with a hostile value', first: number, count: number, zip: boolean }
  | { kind: 'truncated JSON', first: number, count: number, cut: number, zip: boolean }
  | { kind: 'not an array', value: unknown }
  | { kind: 'huge string', field: string, bytes: number, zip: boolean }
  | { kind: 'deep nesting', depth: number, zip: boolean }
  | { kind: 'zip entry names', name: string }
  | { kind: 'truncated zip', cut: number }
  | { kind: 'garbage as zip', bytes: number[] }
  | { kind: 'zip bomb (size field)', claimed: number }
  | { kind: 'zip bomb (ratio)' }
  | { kind: 'zip of many entries' }
  | { kind: 'zip with a repeated audio file' }

const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('entries with a hostile value' as const), first: fc.nat(100_000), count: fc.integer({ min: 1, max: 20 }), zip: fc.boolean() }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('truncated JSON' as const), first: fc.nat(100_000), count: fc.integer({ min: 1, max: 20 }), cut: fc.double({ min: 0, max: 1, noNaN: true }), zip: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('not an array' as const), value: hostileValue }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('huge string' as const), field: fc.constantFrom('ts', 'master_metadata_track_name', 'spotify_track_uri', 'conn_country'), bytes: fc.constantFrom(1 << 20, 4 << 20), zip: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deep nesting' as const), depth: fc.constantFrom(1000, 100_000), zip: fc.boolean() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('zip entry names' as const),
      name: fc.constantFrom('../Streaming_History_Audio_2020.json', '/etc/Streaming_History_Audio_2020.json', 'a/../../Streaming_History_Audio_2021.json',
        '..\\..\\Streaming_History_Audio_2022.json', 'x/Streaming_History_Audio_\u0000.json', `x/${'n'.repeat(1000)}/Streaming_History_Audio_2023.json`,
        'Streaming_History_Audio_\ud83d\ude00.json', 'C:\\Streaming_History_Audio_2024.json', './././Streaming_History_Audio_2024.json'),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('truncated zip' as const), cut: fc.double({ min: 0, max: 1, noNaN: true }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('garbage as zip' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('zip bomb (size field)' as const), claimed: fc.constantFrom(1 << 30, 2 ** 32 - 1, 600 << 20) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'zip bomb (ratio)' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'zip of many entries' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'zip with a repeated audio file' as const }), weight: 1 }
)

/** yazl writes the entry's sizes in its central directory record (signature PK\1\2): claim another uncompressed size. */
function claimSize (zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip)
  const at = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
  out.writeUInt32LE(size >>> 0, at + 24)
  return out
}

const asFile = async (text: string, zip: boolean): Promise<Pick<Upload, 'path' | 'body' | 'contentType'>> =>
  zip ? { path: route(), body: await exportZip({ [audio]: text }), contentType: 'application/zip' } : { path: route(), body: text, contentType: 'application/json' }

/** A zip of the entries as given, names repeated if so (exportZip takes a record: one entry per name). */
async function zipOf (files: Array<[string, unknown]>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, content] of files) zip.addBuffer(Buffer.from(JSON.stringify(content)), name)
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/**
 * A zip with an entry name yazl would refuse (`../`, absolute, NUL): written under a harmless name of the same byte
 * length, which is then replaced in the local header and the central directory.
 */
async function zipNamed (name: string, content: unknown): Promise<Buffer> {
  const raw = Buffer.from(name, 'utf8')
  const placeholder = Buffer.from('q'.repeat(raw.length))
  const zip = await zipOf([[placeholder.toString(), content]])
  for (let at = zip.indexOf(placeholder); at >= 0; at = zip.indexOf(placeholder, at + raw.length)) raw.copy(zip, at)
  return zip
}

let ratioBomb: Buffer | undefined
let manyEntries: Buffer | undefined

async function build (r: Recipe): Promise<Upload> {
  switch (r.kind) {
    case 'entries with a hostile value': {
      const [bad] = fc.sample(mutate(entries(r.first, r.count)), { seed: r.first, numRuns: 1 })
      return { kind: r.kind, ...await asFile(expandDeep(JSON.stringify(bad) ?? 'null'), r.zip) }
    }
    case 'truncated JSON': {
      const text = JSON.stringify(entries(r.first, r.count))
      return { kind: r.kind, ...await asFile(text.slice(0, Math.floor(text.length * r.cut)), r.zip) }
    }
    case 'not an array':
      return { kind: r.kind, ...await asFile(expandDeep(JSON.stringify(r.value) ?? 'null'), false) }
    case 'huge string': {
      const [entry] = entries(7, 1)
      return { kind: r.kind, ...await asFile(JSON.stringify([{ ...entry, [r.field]: 'z'.repeat(r.bytes) }]), r.zip) }
    }
    case 'deep nesting':
      return { kind: r.kind, ...await asFile(`[${JSON.stringify(entries(9, 1)[0]).slice(0, -1)},"x":${'['.repeat(r.depth)}${']'.repeat(r.depth)}}]`, r.zip) }
    case 'zip entry names':
      return { kind: r.kind, path: route(), body: await zipNamed(r.name, entries(11, 3)), contentType: 'application/zip' }
    case 'truncated zip': {
      const zip = await exportZip({ [audio]: entries(13, 50) })
      return { kind: r.kind, path: route(), body: zip.subarray(0, Math.floor(zip.length * r.cut)), contentType: 'application/zip' }
    }
    case 'garbage as zip':
      return { kind: r.kind, path: route(), body: Buffer.from([0x50, 0x4b, 0x03, 0x04, ...r.bytes]), contentType: 'application/zip' }
    case 'zip bomb (size field)':
      return { kind: r.kind, path: route(), body: claimSize(await exportZip({ [audio]: entries(15, 2) }), r.claimed), contentType: 'application/zip' }
    case 'zip bomb (ratio)':
      // 64 MB of whitespace in an array: valid JSON, about 64 KB deflated (1,000:1).
      ratioBomb ??= await exportZip({ [audio]: Buffer.concat([Buffer.from('['), Buffer.alloc(64 << 20, 0x20), Buffer.from(']')]) })
      return { kind: r.kind, path: route(), body: ratioBomb, contentType: 'application/zip' }
    case 'zip of many entries':
      manyEntries ??= await exportZip(Object.fromEntries(Array.from({ length: 12_000 }, (_, i) => [`Spotify Extended Streaming History/Streaming_History_Video_${i}.json`, '[]'])))
      return { kind: r.kind, path: route(), body: manyEntries, contentType: 'application/zip' }
    case 'zip with a repeated audio file':
      return { kind: r.kind, path: route(), body: await zipOf([[audio, entries(17, 3)], [audio, entries(18, 3)]]), contentType: 'application/zip' }
  }
}

/** `runs` hostile uploads, the same ones for the same seed. */
export async function exportUploads (seed: number, runs: number): Promise<Upload[]> {
  const uploads: Upload[] = []
  for (const r of fc.sample(recipe, { seed, numRuns: runs })) uploads.push(await build(r))
  return uploads
}
