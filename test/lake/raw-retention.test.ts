import fs from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { applyRawRetention, type RawFolderRule, type RetentionPolicy } from '../../src/lake/raw-retention.ts'
import { makeTempDir } from '../helpers/build-app.ts'

const day = 24 * 60 * 60 * 1000
const now = Date.parse('2026-11-01T00:00:00Z')

let rawDir: string

beforeEach(async () => { rawDir = await makeTempDir('tracklake-raw-') })
afterEach(async () => { await fs.rm(rawDir, { recursive: true, force: true }) })

/** A file of `kb` kilobytes under raw/, last written `ageDays` ago. */
async function put (file: string, ageDays: number, kb = 1): Promise<void> {
  const full = path.join(rawDir, file)
  await fs.mkdir(path.dirname(full), { recursive: true })
  await fs.writeFile(full, 'x'.repeat(kb * 1024))
  const at = new Date(now - ageDays * day)
  await fs.utimes(full, at, at)
}

async function files (): Promise<string[]> {
  const out: string[] = []
  for (const entry of await fs.readdir(rawDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push(path.relative(rawDir, path.join(entry.parentPath, entry.name)))
  }
  return out.sort()
}

/** MusicBrainz-like answers named <time>-<entity>.json: a later answer for the same artist supersedes an earlier one. */
const entityOf = (file: string): string | undefined => /-([a-z0-9]+)\.json$/.exec(file)?.[1]

const policy = (overrides: Partial<RetentionPolicy> = {}): RetentionPolicy => ({ maxDays: 30, maxBytes: 0, minAgeMs: day, ...overrides })
const run = (rules: RawFolderRule[], p: RetentionPolicy, extra: { dryRun?: boolean, timeUp?: () => boolean } = {}) =>
  applyRawRetention({ rawDir, rules, policy: p, now: () => new Date(now), ...extra })

describe('raw/ retention', () => {
  it('drops old answers of folders nothing replays, and never the newest or an unparsed copy of replayable data', async () => {
    await put('spotify/recently-played/2026-09-01-page-1.json', 61)
    await put('spotify/artists/abc.json', 10)
    await put('listenbrainz/listens/2026-08-01-page-1.json', 92)
    await put('musicbrainz/artist/2026-01-01-aaa.json', 300)
    await put('musicbrainz/artist/2026-10-01-aaa.json', 31)
    await put('musicbrainz/artist/2025-01-01-bbb.json', 665)
    await put('musicbrainz/artist/2026-02-01-ccc.json', 270)
    await put('musicbrainz/artist/2026-10-20-ccc.json', 12)
    await put('geography/unknown/old.json', 900)
    const rules: RawFolderRule[] = [
      { folder: 'spotify', replayable: false },
      { folder: 'listenbrainz', replayable: false },
      // ccc's older copy was never parsed: it stays.
      { folder: 'musicbrainz', replayable: true, entityOf, parsed: async () => new Set(['musicbrainz/artist/2026-01-01-aaa.json', 'musicbrainz/artist/2026-10-01-aaa.json']) },
    ]
    const result = await run(rules, policy())
    expect(await files()).toEqual([
      'geography/unknown/old.json',
      'musicbrainz/artist/2025-01-01-bbb.json',
      'musicbrainz/artist/2026-02-01-ccc.json',
      'musicbrainz/artist/2026-10-01-aaa.json',
      'musicbrainz/artist/2026-10-20-ccc.json',
      'spotify/artists/abc.json',
    ])
    expect(result).toMatchObject({ deleted: 3, deletedBytes: 3 * 1024, keptFiles: 6, protectedFiles: 5, remaining: 0 })
  })

  it('keeps every file of a replayable folder whose stage says nothing about what was parsed, and folders without a rule', async () => {
    await put('musicbrainz/artist/2024-01-01-aaa.json', 1000)
    await put('musicbrainz/artist/2025-01-01-aaa.json', 600)
    await put('somewhere/else.json', 1000)
    const result = await run([{ folder: 'musicbrainz', replayable: true, entityOf }], policy({ maxDays: 1, maxBytes: 1 }))
    expect(await files()).toHaveLength(3)
    expect(result).toMatchObject({ deleted: 0, protectedFiles: 3, overBudgetBytes: 3 * 1024 - 1 })
  })

  it('trims to the size limit oldest first, never touching answers of the last day', async () => {
    await put('spotify/artists/a.json', 20, 100)
    await put('spotify/artists/b.json', 10, 100)
    await put('spotify/artists/c.json', 5, 100)
    await put('spotify/artists/fresh.json', 0.1, 100)
    const result = await run([{ folder: 'spotify', replayable: false }], policy({ maxDays: 0, maxBytes: 250 * 1024 }))
    expect(await files()).toEqual(['spotify/artists/c.json', 'spotify/artists/fresh.json'])
    expect(result).toMatchObject({ deleted: 2, keptBytes: 200 * 1024, overBudgetBytes: 0 })

    const tight = await run([{ folder: 'spotify', replayable: false }], policy({ maxDays: 0, maxBytes: 1 }))
    expect(await files()).toEqual(['spotify/artists/fresh.json'])
    expect(tight.deleted).toBe(1)
  })

  it('a dry run deletes nothing; a time box stops between deletions and says what remains', async () => {
    for (let i = 0; i < 5; i++) await put(`spotify/recently-played/page-${i}.json`, 100 + i)
    const rules: RawFolderRule[] = [{ folder: 'spotify', replayable: false }]
    expect(await run(rules, policy(), { dryRun: true })).toMatchObject({ deleted: 5, remaining: 0 })
    expect(await files()).toHaveLength(5)
    let checks = 0
    expect(await run(rules, policy(), { timeUp: () => ++checks > 2 })).toMatchObject({ deleted: 2, remaining: 3 })
    expect(await files()).toHaveLength(3)
  })
})
