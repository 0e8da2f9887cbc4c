import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { quotedIdentifier as qi } from '@duckdb/node-api'
import { Type } from 'typebox'
import { AppError, quote } from '../errors.ts'
import { errorResponses } from '../schemas.ts'
import type { Lake } from './lake.ts'

const maxLimit = 1000

const TableSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  key: Type.Array(Type.String()),
  columns: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), description: Type.String() })),
  rowCount: Type.Integer(),
  bytes: Type.Integer({ description: 'size of the parquet file' }),
  lastWriteAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null until something is written' }),
})

/** `beforeRead`: waits for writes to a table still settling (plays being filled), so a reader sees what the last call wrote. */
export const lakeRoutes: FastifyPluginAsyncTypebox<{ lake: Lake, beforeRead?: (table: string) => Promise<void> }> = async (app, { lake, beforeRead }) => {
  app.get('/tables', {
    schema: {
      summary: 'List the lake tables with row counts, sizes and last write',
      tags: ['lake'],
      response: { 200: Type.Object({ tables: Type.Array(TableSchema) }), ...errorResponses() },
    },
  }, async () => ({ tables: await lake.stats() }))

  app.get('/tables/:name', {
    schema: {
      summary: 'Read rows of one table, in its stored order',
      tags: ['lake'],
      params: Type.Object({ name: Type.String({ maxLength: 100, description: `one of ${lake.tables.map((t) => t.name).join(', ')}` }) }),
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 100, description: `rows to return; more than ${maxLimit} is capped at ${maxLimit} (the answer says which limit applied)` }),
        offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 }),
      }),
      response: {
        200: Type.Object({
          table: Type.String(),
          total: Type.Integer(),
          limit: Type.Integer(),
          offset: Type.Integer(),
          rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
        }),
        ...errorResponses('VALIDATION_FAILED', 'TABLE_NOT_FOUND'),
      },
    },
  }, async (request) => {
    const table = lake.findTable(request.params.name)
    if (!table) {
      throw new AppError('TABLE_NOT_FOUND', `no table named ${quote(request.params.name)}; tables: ${lake.tables.map((t) => t.name).join(', ')}`)
    }
    await beforeRead?.(table.name)
    const limit = Math.min(request.query.limit, maxLimit)
    const offset = request.query.offset
    const [count] = await lake.query(`SELECT count(*)::BIGINT AS n FROM ${qi(table.name)}`)
    const rows = await lake.query(`SELECT * FROM ${qi(table.name)} LIMIT $limit OFFSET $offset`, { limit, offset })
    return { table: table.name, total: Number(count?.n ?? 0), limit, offset, rows }
  })
}
