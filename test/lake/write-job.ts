import { quotedIdentifier as qi } from '@duckdb/node-api'
import type { TableDef } from '../../src/lake/table.ts'
import type { WriteJob } from '../../src/lake/write-process.ts'

/** A write process's job for write-process.test.ts: renames every artist, then does what `then` asks. */
export const runWriteJob: WriteJob<{ artists: TableDef, then: 'report' | 'fail' | 'die' | 'stray' }, unknown> = async (tx, { artists, then }) => {
  await tx.replaceWith(artists, `SELECT * REPLACE (artist_name || ' (renamed)' AS artist_name) FROM ${qi(artists.name)}`)
  if (then === 'fail') await tx.run('SELECT * FROM no_such_table')
  if (then === 'die') process.kill(process.pid, 'SIGKILL')
  if (then === 'stray') await tx.replaceWith({ ...artists, name: 'tracks_played' }, 'SELECT 1')
  // Read-your-writes: the job sees the rows it replaced.
  return tx.query(`SELECT artist_name, current_setting('threads')::INTEGER AS threads FROM ${qi(artists.name)} ORDER BY artist_id`)
}
