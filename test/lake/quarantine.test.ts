import { describe, expect, it } from 'vitest'
import { quarantineRow } from '../../src/lake/quarantine.ts'
import { RowProblem } from '../../src/lake/table.ts'

describe('quarantineRow', () => {
  it('keeps a record whose value is 100,000 arrays deep, cut to a preview, instead of failing the call', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown
    const row = quarantineRow('tracks_played', 'spotify-export:x.json[1]', { index: 1, row: { ts: deep, ms_played: 1 }, problem: new RowProblem('ts', 'is required') }, '2026-01-01T00:00:00.000Z')
    expect(row.record).toBe('{"ts":[[["[array]"]]],"ms_played":1}')
    expect(row.reason).toBe('ts is required')
  })
})
