import fs from 'node:fs/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { recordFailures } from '../../src/batch/failure-memory.ts'
import { planKeys, type PlanQuery } from '../../src/batch/plan-query.ts'
import { enrichmentFailures } from '../../src/batch/tables.ts'
import { createLake, type Lake } from '../../src/lake/lake.ts'
import { makeTempDir } from '../helpers/build-app.ts'
import { silentLog } from '../helpers/lake.ts'
import { toyPlays, toyThings } from '../helpers/toy-step.ts'

const query: PlanQuery = {
  stage: 'toy',
  resource: 'things',
  candidates: 'SELECT thing_id AS id, count(*) AS weight FROM toy_plays GROUP BY thing_id',
  done: { table: toyThings, column: 'thing_id' },
}

describe('planKeys', () => {
  let dir: string
  let lake: Lake
  let next = 0
  const now = new Date('2026-11-01T00:00:00Z')
  const play = (...things: Array<string | null>) => lake.merge(toyPlays, things.map((thing) => ({ play_id: `p${next++}`, thing_id: thing })))
  const plan = (limit?: number) => planKeys(lake, query, { now, limit })

  beforeEach(async () => {
    dir = await makeTempDir()
    lake = await createLake({ dataDir: dir, log: silentLog, tables: [enrichmentFailures, toyPlays, toyThings] })
    await play('b', 'c', 'c', 'a', 'a', null, 'it\'s "odd",\n')
  })

  afterEach(async () => {
    await lake.close()
    await fs.rm(dir, { recursive: true, force: true })
  })

  it('lists keys most weighty first, ties by key, never a null, any characters intact', async () => {
    expect(await plan()).toEqual(['a', 'c', 'b', 'it\'s "odd",\n'])
    expect(await plan(2)).toEqual(['a', 'c'])
  })

  it('follows every write between plans: new plays, work done, failures and their backoff', async () => {
    expect(await plan()).toHaveLength(4)
    await play('d', 'd', 'd')
    expect(await plan()).toEqual(['d', 'a', 'c', 'b', 'it\'s "odd",\n'])
    await lake.merge(toyThings, [{ thing_id: 'd', name: 'D', size: 1 }])
    expect(await plan()).toEqual(['a', 'c', 'b', 'it\'s "odd",\n'])
    await recordFailures(lake, { stage: 'toy', resource: 'things' }, [{ entity_id: 'a', reason: 'unknown', http_status: 404, failed_at: now.toISOString() }])
    expect(await plan()).toEqual(['c', 'b', 'it\'s "odd",\n'])
    expect(await planKeys(lake, query, { now: new Date(now.getTime() + 2 * 24 * 3600 * 1000) })).toEqual(['a', 'c', 'b', 'it\'s "odd",\n'])
    // Plays rewritten to fewer rows (a replace, not an append) drop the keys no play names any more.
    await lake.write([toyPlays], (tx) => tx.replaceWith(toyPlays, "SELECT * FROM toy_plays WHERE thing_id = 'b'"))
    expect(await plan()).toEqual(['b'])
  })

  it('answers an empty list when nothing needs work', async () => {
    await lake.merge(toyThings, ['a', 'b', 'c', 'it\'s "odd",\n'].map((id) => ({ thing_id: id, name: id })))
    expect(await plan()).toEqual([])
  })
})
