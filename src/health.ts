import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Lake } from './lake/lake.ts'

const CheckSchema = Type.Object({ ok: Type.Boolean(), message: Type.Optional(Type.String()) })

export const healthRoutes: FastifyPluginAsyncTypebox<{ lake: Lake }> = async (app, { lake }) => {
  app.get('/health', {
    schema: {
      summary: 'The process is alive',
      tags: ['health'],
      response: { 200: Type.Object({ status: Type.Literal('ok'), uptimeSeconds: Type.Number() }) },
    },
  }, async () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime()) }))

  app.get('/ready', {
    schema: {
      summary: 'The lake directory is writable and DuckDB answers',
      tags: ['health'],
      response: {
        200: Type.Object({ status: Type.Literal('ready'), checks: Type.Object({ lakeWritable: CheckSchema, duckdb: CheckSchema }) }),
        503: Type.Object({ status: Type.Literal('not_ready'), checks: Type.Object({ lakeWritable: CheckSchema, duckdb: CheckSchema }) }),
      },
    },
  }, async (_request, reply) => {
    const lakeWritable = await check(async () => {
      const probe = path.join(lake.lakeDir, `.ready-${process.pid}.partial`)
      await fs.writeFile(probe, 'ok')
      await fs.rm(probe)
    })
    const duckdb = await check(() => lake.ping())
    if (lakeWritable.ok && duckdb.ok) return { status: 'ready' as const, checks: { lakeWritable, duckdb } }
    return reply.status(503).send({ status: 'not_ready' as const, checks: { lakeWritable, duckdb } })
  })
}

async function check (fn: () => Promise<void>): Promise<{ ok: boolean, message?: string }> {
  try {
    await fn()
    return { ok: true }
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
}
