import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Lake } from './lake/lake.ts'

const CheckSchema = Type.Object({ ok: Type.Boolean() })
const ChecksSchema = Type.Object({ lakeWritable: CheckSchema, duckdb: CheckSchema })

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
      description: 'Open without a token, so a failed check answers only ok: false; the reason is in the service log.',
      tags: ['health'],
      response: {
        200: Type.Object({ status: Type.Literal('ready'), checks: ChecksSchema }),
        503: Type.Object({ status: Type.Literal('not_ready'), message: Type.String(), checks: ChecksSchema }),
      },
    },
  }, async (request, reply) => {
    const [lakeWritable, duckdb] = await Promise.all([
      check('lakeWritable', request.log, async () => {
        // A name of its own per check: concurrent checks must not delete each other's probe.
        const probe = path.join(lake.lakeDir, `.ready-${randomUUID()}.partial`)
        await fs.writeFile(probe, 'ok')
        await fs.rm(probe)
      }),
      check('duckdb', request.log, () => lake.ping()),
    ])
    if (lakeWritable.ok && duckdb.ok) return { status: 'ready' as const, checks: { lakeWritable, duckdb } }
    return reply.status(503).send({ status: 'not_ready' as const, message: 'not ready; the service log has the details', checks: { lakeWritable, duckdb } })
  })
}

async function check (name: string, log: FastifyBaseLogger, fn: () => Promise<void>): Promise<{ ok: boolean }> {
  try {
    await fn()
    return { ok: true }
  } catch (err) {
    log.warn({ check: name, err }, `readiness check ${name} failed`)
    return { ok: false }
  }
}
