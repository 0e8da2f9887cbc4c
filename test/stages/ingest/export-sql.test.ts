import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.ts'
import { createExportImport } from '../../../src/stages/ingest/export-import.ts'
import { exportFileName, writeExportFile } from '../../../src/stages/ingest/export-files.ts'
import { createExportStager } from '../../../src/stages/ingest/export-sql.ts'
import { spotifyFixtures } from '../../fakes/fake-spotify.ts'
import { makeTempDir } from '../../helpers/build-app.ts'
import { exportZip, type ExportEntry } from '../../helpers/export.ts'
import { openLake } from '../../helpers/lake.ts'

const config = loadConfig({})
const now = (): Date => new Date('2026-12-01T08:00:00.000Z')

/** Imports `zip` into a fresh lake; answers what the import answered and everything it stored. */
async function importInto (zip: Buffer, readsWithDuckDb: boolean): Promise<unknown> {
  const dir = await makeTempDir()
  const lake = await openLake(dir)
  try {
    const run = createExportImport({ config, lake, now, readsWithDuckDb })
    const answer = await run({ kind: 'zip', name: 'export.zip', stream: Readable.from([zip]) })
      .catch((err: { code?: string, message: string, details?: unknown }) => ({ failed: { code: err.code, message: err.message, details: err.details } }))
    return {
      answer,
      plays: await lake.query('SELECT * FROM tracks_played ORDER BY ALL'),
      quarantine: await lake.query('SELECT * FROM quarantine ORDER BY ALL'),
    }
  } finally {
    await lake.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
}

async function expectBothWaysAlike (files: Record<string, string | Buffer>): Promise<void> {
  const zip = await exportZip(Object.fromEntries(Object.entries(files).map(([name, content]) => [`Spotify Extended Streaming History/${name}`, content])))
  expect(await importInto(zip, true)).toEqual(await importInto(zip, false))
}

/** Which of `files` the stager takes (reads with DuckDB) and what it counts. */
async function stage (files: Array<string | Buffer>): Promise<{ declined: number[], rows: number }> {
  const dir = await makeTempDir()
  const lake = await openLake(dir)
  try {
    const stager = createExportStager(lake.query, dir, { userId: 'me', ingestedAt: now().toISOString() })
    for (const [index, content] of files.entries()) {
      const file = path.join(dir, exportFileName(index))
      stager.add({ name: `f${index}.json`, path: file, ...await writeExportFile(file, Readable.from([Buffer.from(content)])) })
    }
    const staged = await stager.finish()
    return { declined: staged.declined, rows: staged.rows }
  } finally {
    await lake.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
}

const base = spotifyFixtures.extendedHistory[0] as ExportEntry
const trackIds = ['4uLU6hMCjMI75M1A2tKUQC', '0VjIjW4GlUZAMYd2vXMi3b', '7qiZfU4dY1lWllzX7mPBI3']
const cleanEntry: fc.Arbitrary<ExportEntry> = fc.record({
  // A few instants and lengths, so that some entries share a start and a track: duplicates within the import.
  ts: fc.constantFrom('2019-03-01T10:00:00Z', '2019-03-01T10:03:30Z', '2024-02-29T23:59:59Z', '1999-12-31T23:59:59Z'),
  ms_played: fc.oneof(fc.constantFrom(0, 29_999, 30_000, 2_147_483_647), fc.integer({ min: 0, max: 600_000 })),
  spotify_track_uri: fc.constantFrom(...trackIds.map((id) => `spotify:track:${id}`), `https://open.spotify.com/track/${trackIds[0]}?si=x`, trackIds[1]!),
  master_metadata_track_name: fc.oneof(fc.string(), fc.constantFrom(null, 'Ünïcödé ✓ "quoted" \\ back\nslash 😀', 'nul\u0000char')),
  master_metadata_album_artist_name: fc.oneof(fc.string(), fc.constant(null)),
  master_metadata_album_album_name: fc.oneof(fc.string(), fc.constant(null)),
  platform: fc.oneof(fc.constantFrom('android', 'ios', ''), fc.string()),
  conn_country: fc.constantFrom('DE', 'ZZ', null),
  reason_start: fc.constantFrom('trackdone', 'clickrow', null),
  reason_end: fc.constantFrom('trackdone', 'endplay', null),
  shuffle: fc.constantFrom(true, false, null),
  skipped: fc.constantFrom(true, false, null),
  offline: fc.constantFrom(true, false, null),
  incognito_mode: fc.constantFrom(true, false, null),
}).map((fields) => ({ ...base, ...fields }))

/** Values that are not what an export holds, in any field. */
const odd = fc.oneof(
  fc.constantFrom(null, '', 0, -1, 1.5, 1e3, 30_000.0, 2_147_483_648, 1e300, true, false, {}, [], [1], { a: 'b' }, '12', 'true'),
  fc.string(),
  fc.integer(),
  fc.double()
)
const oddTs = fc.constantFrom(
  '2023-02-30T10:00:00Z', '2023-02-25T24:00:00Z', '2023-02-25T11:20:60Z', '2023-02-25t11:20:37Z', '2023-02-25 11:20:37Z',
  '2023-02-25T11:20:37.123Z', '2023-02-25T11:20:37+02:00', '2023-02-25T11:20:37', '0000-01-01T00:00:00Z', '0999-06-01T00:00:00Z',
  '9999-12-31T23:59:59Z', 'yesterday'
)
const field = fc.constantFrom(
  'ts', 'ms_played', 'spotify_track_uri', 'master_metadata_track_name', 'master_metadata_album_artist_name',
  'master_metadata_album_album_name', 'spotify_episode_uri', 'episode_name', 'audiobook_uri', 'audiobook_chapter_uri',
  'audiobook_title', 'skipped', 'reason_start', 'reason_end', 'shuffle', 'offline', 'incognito_mode', 'platform',
  'conn_country', 'duration_ms'
)
/** A clean entry with one field made odd, dropped, or its track taken away (a podcast, an audiobook, nothing). */
const oddEntry: fc.Arbitrary<ExportEntry> = fc.tuple(cleanEntry, field, fc.oneof(odd, oddTs, fc.constant(undefined)), fc.constantFrom('none', 'episode', 'audiobook', 'neither')).map(([entry, name, value, track]) => {
  const out: ExportEntry = { ...entry }
  if (value === undefined) delete out[name]
  else out[name] = value
  if (track !== 'none') {
    out.spotify_track_uri = null
    out.master_metadata_track_name = null
    if (track === 'episode') out.episode_name = 'Episode 1'
    if (track === 'audiobook') out.audiobook_title = 'A Book'
  }
  return out
})

const fileText = (entries: ExportEntry[], pretty: boolean): string => JSON.stringify(entries, null, pretty ? 2 : 0)

describe('export files read by DuckDB', () => {
  it('stores exactly what the JavaScript parser stores, for clean files and files with odd entries alike', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.array(fc.oneof({ arbitrary: cleanEntry, weight: 6 }, { arbitrary: oddEntry, weight: 1 }), { maxLength: 12 }), fc.boolean()), { minLength: 1, maxLength: 3 }),
      async (files) => {
        await expectBothWaysAlike(Object.fromEntries(files.map(([entries, pretty], i) => [`Streaming_History_Audio_2019_${i}.json`, fileText(entries, pretty)])))
      }
    ), { numRuns: 25 })
  }, 180_000)

  it('takes every clean file, and the real sample', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(cleanEntry, { maxLength: 20 }), { minLength: 1, maxLength: 3 }), async (files) => {
      const staged = await stage(files.map((entries) => fileText(entries, true)))
      expect(staged.declined).toEqual([])
      expect(staged.rows).toBe(files.flat().length)
    }), { numRuns: 10 })
    const sample = await stage([JSON.stringify(spotifyFixtures.extendedHistory)])
    expect(sample.declined).toEqual([])
  }, 60_000)

  it('declines what it cannot vouch for, and the import still answers as the parser does', async () => {
    const good = JSON.stringify([{ ...base }])
    const cases: Record<string, string | Buffer> = {
      empty: '',
      whitespace: ' \n ',
      bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good)]),
      object: JSON.stringify(base),
      trailing: `${good} trailing`,
      truncated: good.slice(0, -3),
      nullEntry: JSON.stringify([base, null]),
      upperCaseKey: JSON.stringify([{ ...base, ts: undefined, TS: base.ts }]),
      duplicateKey: good.replace('{', '{"ts":"2001-01-01T00:00:00Z",'),
      loneSurrogate: good.replace('"ts"', '"platform":"\\ud800","ts"'),
      invalidUtf8: Buffer.from(good.replace('"ts"', '"platform":"\u00ff","ts"'), 'latin1'),
      huge: JSON.stringify([{ ...base, platform: 'x'.repeat(1_100_000) }]),
      hugeUnknownField: JSON.stringify([{ ...base }, { ...base, notes: ['x'.repeat(600_000), { more: 'y'.repeat(600_000) }] }]),
      // Within the parser's cap in characters, past it in bytes: the parser decides, and reads it.
      // (varied, or the zip would refuse it as a bomb)
      multibyte: JSON.stringify([{ ...base, platform: Array.from({ length: 600_000 }, (_, i) => String.fromCharCode(0xe0 + (i * 7919) % 256)).join('') }]),
      deep: JSON.stringify([{ ...base, extra: JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`) }]),
    }
    const staged = await stage(Object.values(cases))
    // Deep nesting in a field nobody reads may be read either way; every other case goes to the parser.
    const names = Object.keys(cases)
    expect(staged.declined.map((i) => names[i])).toEqual(expect.arrayContaining(names.filter((name) => name !== 'deep')))
    expect(await importInto(await exportZip({ 'Streaming_History_Audio_multibyte.json': cases.multibyte }), true)).toMatchObject({ answer: { rows: 1 } })
    for (const [name, content] of Object.entries(cases)) {
      await expectBothWaysAlike({ [`Streaming_History_Audio_${name}.json`]: content })
    }
  }, 120_000)
})
