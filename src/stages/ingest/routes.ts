import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError } from '../../errors.ts'
import { errorResponses } from '../../schemas.ts'
import { maxUploadBytes, type ExportUpload, type ImportResult } from './export-import.ts'
import type { PollResult } from './recently-played.ts'
import { maxJsonUploadBytes } from './streaming-history.ts'

/** The three sources of plays, each in its own module, composed by app.ts. */
export interface IngestSources {
  recentlyPlayed (): Promise<PollResult>
  importExport (upload: ExportUpload): Promise<ImportResult>
  listenbrainz (): Promise<PollResult>
}

const zipTypes = ['application/zip', 'application/x-zip-compressed']

const PollSchema = Type.Object({
  status: Type.Union([Type.Literal('complete'), Type.Literal('rate_limited')], { description: 'rate_limited: nothing was lost, call again after retryAfterSeconds' }),
  done: Type.Optional(Type.Boolean({ description: 'ListenBrainz: false when the read stopped early (page budget or rate limit) and the next call continues it' })),
  fetched: Type.Integer({ description: 'plays read from the upstream' }),
  inserted: Type.Integer({ description: 'plays new to the lake' }),
  duplicates: Type.Integer({ description: 'plays already stored (same source or another)' }),
  quarantined: Type.Integer({ description: 'plays the lake could not store, set aside in the quarantine table with the reason' }),
  cursor: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'newest play read from this source with nothing unread before it' }),
  pages: Type.Integer(),
  retryAfterSeconds: Type.Optional(Type.Integer()),
})

const ImportSchema = Type.Object({
  files: Type.Integer({ description: 'audio history files read' }),
  rows: Type.Integer({ description: 'plays found in them' }),
  inserted: Type.Integer(),
  duplicates: Type.Integer({ description: 'plays already stored, from an earlier import or from polling' }),
  skipped: Type.Integer({ description: 'podcast episodes, audiobooks and entries without a track' }),
  shortPlays: Type.Integer({ description: 'plays under 30 s: stored, with counts_as_play = false' }),
  quarantined: Type.Integer({ description: 'entries the lake could not store, set aside in the quarantine table with the reason; the others were written' }),
  skippedBy: Type.Object({ episodes: Type.Integer(), audiobooks: Type.Integer(), noTrack: Type.Integer() }),
  ignoredFiles: Type.Array(Type.String(), { description: 'files of the zip that are not audio history (video history, the PDF, …)' }),
  fileReports: Type.Array(Type.Object({
    name: Type.String(),
    entries: Type.Integer(),
    rows: Type.Integer(),
    shortPlays: Type.Integer(),
    skipped: Type.Integer(),
    quarantined: Type.Integer({ description: 'entries of this file set aside in the quarantine table' }),
  })),
})

export const ingestRoutes: FastifyPluginAsyncTypebox<{ ingest: IngestSources }> = async (app, { ingest }) => {
  app.post('/recently-played', {
    config: { step: 'ingest.recently-played' },
    schema: {
      summary: 'Poll Spotify recently-played from the newest stored play onwards',
      description: 'Uses the refresh-token flow (a rotated refresh token is kept in state/). Follows `next` to the end. ' +
        'A long 429 answers status rate_limited and leaves the cursor where it was, so no play is lost.',
      tags: ['ingest'],
      response: { 200: PollSchema, ...errorResponses('UPSTREAM_AUTH_FAILED', 'UPSTREAM_FAILED', 'NOT_CONFIGURED', 'UPSTREAM_TIMEOUT', 'LAKE_WRITE_FAILED') },
    },
  }, async () => ingest.recentlyPlayed())

  // Both kinds of upload reach the handler as the raw request stream, read as they arrive (never buffered whole): the
  // zip to disk, JSON entry by entry. Scoped to this route, so other routes keep the ordinary JSON parser.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>()
    scope.removeContentTypeParser('application/json')
    scope.addContentTypeParser(['application/json', ...zipTypes], (_request, payload, done) => { done(null, payload) })

    scope.post('/streaming-history', {
      config: { step: 'ingest.streaming-history' },
      schema: {
        summary: 'Import Spotify\'s extended streaming history: one JSON file or the whole export zip',
        description: 'Send one Streaming_History_Audio_*.json as application/json (name it with ?file=), or the export zip ' +
          'as application/zip. played_at = ts − ms_played (ts is when the stream ended). Podcasts and audiobooks are ' +
          'counted and skipped; plays under 30 s are stored with counts_as_play = false. Importing the same export ' +
          'twice adds nothing. A file that is not an export answers 400 naming the file and entry index, and nothing is written; an entry the lake cannot store is set aside in the quarantine table and counted.',
        tags: ['ingest'],
        querystring: Type.Object({
          file: Type.String({ default: 'Streaming_History_Audio.json', maxLength: 200, description: 'name used in reports and errors for a JSON body' }),
        }),
        body: {
          content: {
            // Left untyped so the import itself answers, naming the file and the entry index.
            'application/json': { schema: { description: 'the JSON array of one Streaming_History_Audio_*.json file' } },
            'application/zip': { schema: { description: 'the export zip (my_spotify_data.zip), streamed' } },
          },
        },
        response: { 200: ImportSchema, ...errorResponses('VALIDATION_FAILED', 'INVALID_EXPORT', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'REQUEST_TIMEOUT', 'LAKE_WRITE_FAILED') },
      },
    }, async (request) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
      const kind = zipTypes.includes(type) ? 'zip' : 'json'
      const limit = kind === 'zip' ? maxUploadBytes : maxJsonUploadBytes
      if (Number(request.headers['content-length']) > limit) {
        throw new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than ${limit / 1024 / 1024} MB`, { details: [{ field: 'body', problem: `must be at most ${limit / 1024 / 1024} MB` }] })
      }
      // No body at all (a request without one, or a content type no parser took): say so rather than read nothing.
      if (!request.body) throw new AppError('VALIDATION_FAILED', 'the request has no body: send the export zip (application/zip) or one JSON file (application/json)', { details: [{ field: 'body', problem: 'is required' }] })
      return ingest.importExport({ kind, name: request.query.file, stream: request.body as NodeJS.ReadableStream })
    })
  })

  app.post('/listenbrainz', {
    config: { step: 'ingest.listenbrainz' },
    schema: {
      summary: 'Read new listens from ListenBrainz (where Navidrome and other players scrobble)',
      description: 'Pages back from the newest listen to the cursor (kept in state/; it never moves back). Reads at most ' +
        '500 pages of 1,000 listens (or 4 minutes) per call and keeps what it read; a long history or a long rate limit answers ' +
        'done: false and the next call reads on from where it stopped. Paces itself on X-RateLimit-Remaining.',
      tags: ['ingest'],
      response: { 200: PollSchema, ...errorResponses('UPSTREAM_AUTH_FAILED', 'UPSTREAM_FAILED', 'NOT_CONFIGURED', 'UPSTREAM_TIMEOUT', 'LAKE_WRITE_FAILED') },
    },
  }, async () => ingest.listenbrainz())
}
