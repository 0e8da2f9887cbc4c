import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { FailureSchema } from './batch/granular.ts'
import { ErrorSchema } from './schemas.ts'

export const apiTags = [
  { name: 'health', description: 'liveness and readiness' },
  { name: 'lake', description: 'read-only views of the lake tables' },
  { name: 'batches', description: 'plans, batch progress and run records' },
  { name: 'ingest', description: 'listening history in: Spotify polling, the extended streaming history export, ListenBrainz' },
  { name: 'spotify', description: 'granular Spotify enrichment of tracks, artists and albums' },
  { name: 'geography', description: 'continents, country and state codes and geocoding keys of MusicBrainz areas, and city coordinates (offline GeoNames gazetteer or OpenWeather)' },
  { name: 'daily', description: 'the Daily ETL in-process: every stage in order, through the same routes (for use without n8n)' },
  { name: 'musicbrainz', description: 'MusicBrainz: who each played artist is (matching, details, genres) and where they come from (area hierarchy)' },
  { name: 'warehouse', description: 'the star schema in warehouse.duckdb: build it from the lake (SQL models and their tests), see what it holds' },
  { name: 'reports', description: 'listening reports read from the warehouse (the page at /reports draws them): the last 24 hours, listening over time, genres, where the music comes from' },
]

export async function registerOpenApi (app: FastifyInstance, version: string): Promise<void> {
  app.addSchema(ErrorSchema)
  app.addSchema(FailureSchema)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tracklake',
        version,
        description: 'Your music listening history in an open parquet lake. Granular steps follow plan → fetch → write: ' +
          'plan snapshots the keys needing work, fetch calls the upstream for one slice, write upserts the records.',
      },
      tags: apiTags,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'needed on /v1 routes when TRACKLAKE_API_TOKEN is set' },
        },
      },
    },
    // /v1 routes need the bearer token when TRACKLAKE_API_TOKEN is set; say so in the document.
    transform: ({ schema, url }) => ({
      schema: url.startsWith('/v1') ? { ...schema, security: [{ bearerAuth: [] }] } as typeof schema : schema,
      url,
    }),
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}
