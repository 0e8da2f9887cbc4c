import fs from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config.ts'
import { createEngine } from '../../src/lake/duckdb.ts'
import { engineTimezone } from '../../src/lake/timezones.ts'
import { buildTestApp, makeTempDir } from '../helpers/build-app.ts'

const silent = { info () {}, warn () {}, error () {}, debug () {}, trace () {}, fatal () {}, child () { return silent }, level: 'silent', silent () {} }

describe('engineTimezone', () => {
  it("answers DuckDB's own spelling of a zone it knows, links and fixed offsets included", async () => {
    const dir = await makeTempDir()
    const engine = await createEngine({ tmpDir: dir, log: silent as never })
    try {
      const query = engine.query
      expect(await engineTimezone(query, 'UTC')).toBe('UTC')
      expect(await engineTimezone(query, 'europe/berlin')).toBe('Europe/Berlin')
      expect(await engineTimezone(query, 'US/Eastern')).toBe('US/Eastern')
      expect(await engineTimezone(query, 'Etc/GMT+5')).toBe('Etc/GMT+5')
      const err = await engineTimezone(query, 'Mars/Olympus').catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).problems).toEqual(['TRACKLAKE_TIMEZONE must be an IANA time zone such as UTC or Europe/Berlin (got "Mars/Olympus")'])
    } finally {
      engine.close()
      await fs.rm(dir, { recursive: true, force: true })
    }
  })

  it('stops the app before it serves when TRACKLAKE_TIMEZONE names no zone DuckDB knows', async () => {
    const dir = await makeTempDir()
    try {
      await expect(buildTestApp({ TRACKLAKE_TIMEZONE: 'Mars/Olympus' }, {}, dir)).rejects.toThrow(/TRACKLAKE_TIMEZONE must be an IANA time zone/)
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })
})
