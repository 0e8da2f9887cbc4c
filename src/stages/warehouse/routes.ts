import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { simpleStepRoute, type SimpleStep } from '../../batch/simple-step.ts'
import { errorResponses, TimestampSchema } from '../../schemas.ts'
import type { Warehouse } from './service.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

const ModelResultSchema = Type.Object({
  name: Type.String(),
  layer: Type.Union([Type.Literal('staging'), Type.Literal('intermediate'), Type.Literal('marts')]),
  materialized: Type.Union([Type.Literal('view'), Type.Literal('table')]),
  rows: Nullable(Type.Integer({ description: 'rows of a table; null for a view' })),
  seconds: Type.Number(),
  cpuSeconds: Type.Number({ description: 'CPU time of the build process meanwhile (DuckDB threads included); unlike seconds, not stretched by a busy machine' }),
  inWarehouse: Type.Boolean({ description: 'marts are kept in warehouse.duckdb; staging and intermediate models only live during the build' }),
})

const TestResultSchema = Type.Object({
  name: Type.String({ description: 'e.g. unique_fact_track_played_play_id, relationships_fact_track_played_artist_id__dim_artist' }),
  model: Type.String(),
  kind: Type.Union([Type.Literal('unique'), Type.Literal('not_null'), Type.Literal('relationships'), Type.Literal('data')]),
  description: Type.String(),
  status: Type.Union([Type.Literal('pass'), Type.Literal('fail')]),
  failures: Type.Integer({ description: 'rows the test query returned (it passes with none)' }),
  seconds: Type.Number({ description: 'how long the test query took' }),
  cpuSeconds: Type.Number({ description: 'CPU time of the build process meanwhile' }),
})

const buildResult = {
  builtAt: TimestampSchema,
  seconds: Type.Number({ description: 'the whole build: snapshot, models, tests and the swap' }),
  peakRssBytes: Type.Integer({ description: 'peak resident memory of the build process (the build runs in a child process of the service)' }),
  memoryLimit: Type.String({ description: 'DuckDB\'s memory limit in the build process, e.g. 64MB; when a build runs out of memory it is run again with twice the limit (up to 1024MB), and this is the limit it finished with' }),
  models: Type.Array(ModelResultSchema, { description: 'every model, in build order' }),
  tests: Type.Object({ passed: Type.Integer(), failed: Type.Integer(), results: Type.Array(TestResultSchema) }),
}

/** POST /v1/warehouse/build as a simple step: one call builds it all (processed = models built). */
export function warehouseBuildStep (warehouse: Warehouse): SimpleStep<Record<string, never>, typeof buildResult> {
  return {
    name: 'warehouse.build',
    tag: 'warehouse',
    summary: 'Build the warehouse (warehouse.duckdb) from the lake and run its model tests',
    description: 'Builds every SQL model (staging → intermediate → marts) into a new DuckDB file, runs the model tests ' +
      '(unique and not-null keys, no orphan facts, counts reconcile with tracks_played), then replaces warehouse.duckdb ' +
      'atomically. A failing model or test answers an error naming it and leaves the previous warehouse in place. One ' +
      'call does the whole build (it takes seconds); a build still running after maxSeconds is ended and answers 503 WAREHOUSE_BUILD_TIMED_OUT.',
    body: {},
    result: buildResult,
    errors: ['WAREHOUSE_BUILD_FAILED', 'WAREHOUSE_BUILD_TIMED_OUT', 'WAREHOUSE_TESTS_FAILED', 'LAKE_WRITE_FAILED'],
    defaultMaxSeconds: 300,
    async run (_body, { timeUp }) {
      const summary = await warehouse.build({ timeUp })
      return { processed: summary.models.length, remaining: 0, status: 'complete', ...summary }
    },
  }
}

const StatusSchema = Type.Object({
  file: Type.String({ description: 'the warehouse file, relative to TRACKLAKE_DATA_DIR: open it with DuckDB (read-only while the service runs)' }),
  maskFile: Type.String({ description: 'the artist name masks (CSV: artist_id,mask_name), relative to TRACKLAKE_DATA_DIR, applied on the next build' }),
  built: Type.Boolean(),
  builtAt: Nullable(TimestampSchema),
  timezone: Nullable(Type.String({ description: 'TRACKLAKE_TIMEZONE of the build: local dates and times are in it' })),
  bytes: Nullable(Type.Integer()),
  models: Type.Array(Type.Object({ name: Type.String(), rows: Type.Integer(), description: Type.String() }), { description: 'the marts it holds' }),
  tests: Nullable(Type.Object({
    passed: Type.Integer(),
    failed: Type.Integer(),
    results: Type.Array(Type.Object({ name: Type.String(), model: Type.String(), kind: Type.String(), status: Type.String(), failures: Type.Integer() })),
  }, { description: 'the model tests of the build that made this file' })),
  lastBuild: Nullable(Type.Object({
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    startedAt: TimestampSchema,
    seconds: Type.Number(),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    tests: Type.Optional(Type.Object({
      passed: Type.Integer(),
      failed: Type.Integer(),
      failing: Type.Array(Type.Object({ name: Type.String(), failures: Type.Integer() })),
    })),
  }, { description: 'the last build, failed or not (a failed one left the file above in place)' })),
})

/** The warehouse: POST /build and GET / (what the current warehouse holds and how the last build went). */
export const warehouseRoutes: FastifyPluginAsyncTypebox<{ warehouse: Warehouse, now: () => Date }> = async (app, { warehouse, now }) => {
  await app.register(simpleStepRoute(warehouseBuildStep(warehouse), { now }), { prefix: '/build' })
  app.get('/', {
    prefixTrailingSlash: 'no-slash',
    schema: {
      summary: 'When the warehouse was built, what it holds and how its model tests went',
      tags: ['warehouse'],
      response: { 200: StatusSchema, ...errorResponses() },
    },
  }, async () => warehouse.status())
}
