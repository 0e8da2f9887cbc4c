import { quotedIdentifier as qi } from '@duckdb/node-api'
import { Type } from 'typebox'
import type { SimpleStep } from '../../batch/simple-step.ts'
import { enrichmentFailures } from '../../batch/tables.ts'
import type { Lake } from '../../lake/lake.ts'
import type { TableDef } from '../../lake/table.ts'
import { creditsSql } from './spotify-side.ts'
import { mbzArtistMatch } from './tables.ts'

const sampleSize = 10

const discoverBody = {
  sinceHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 366 * 30, description: 'only artists played in the last so many hours; the whole history when absent' })),
}

const discoverResult = {
  played: Type.Integer({ description: 'distinct Spotify artists credited on the plays looked at' }),
  matched: Type.Integer({ description: 'of them, with a mbz_artist_match row (an MBID, or a hand-posted "none")' }),
  waiting: Type.Integer({ description: 'of them, missed before and waiting in the failure memory\'s backoff' }),
  new: Type.Integer({ description: 'of them, to be matched by the next MBZ Artist Enrichment' }),
  newPlays: Type.Integer({ description: 'plays crediting those new artists' }),
  sample: Type.Array(Type.Object({
    spotify_id: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    plays: Type.Integer(),
  }), { description: `the ${sampleSize} most played new artists` }),
}

export type DiscoverStep = SimpleStep<typeof discoverBody, typeof discoverResult>

/**
 * Which played Spotify artists MusicBrainz matching has not seen: every credited artist of every play (over the whole
 * history unless `sinceHours`), minus those with a match row and those waiting in backoff. Reads the lake only.
 */
export function createDiscoverStep (deps: { lake: Lake, plays: TableDef, settlePlays: () => Promise<void>, now: () => Date, requireContact: () => void }): DiscoverStep {
  return {
    name: 'musicbrainz.discover',
    tag: 'musicbrainz',
    summary: 'Count the played Spotify artists with no MusicBrainz match yet and not waiting in backoff, with a sample',
    description: 'Reads the lake only. Over the whole history unless sinceHours is given.',
    body: discoverBody,
    result: discoverResult,
    errors: ['NOT_CONFIGURED'],
    defaultMaxSeconds: 60,
    async run (body) {
      deps.requireContact()
      await deps.settlePlays()
      const now = deps.now()
      const since = body.sinceHours === undefined ? null : new Date(now.getTime() - body.sinceHours * 3_600_000).toISOString()
      const [row] = await deps.lake.query(`
        WITH credited AS (${creditsSql(deps.plays, '$since::TIMESTAMPTZ IS NULL OR played_at >= $since::TIMESTAMPTZ')}),
        artists AS (
          SELECT id, mode(name) AS name, count(*)::INTEGER AS plays FROM credited WHERE id IS NOT NULL GROUP BY id),
        marked AS (
          SELECT a.*,
            EXISTS (SELECT 1 FROM ${qi(mbzArtistMatch.name)} m WHERE m.spotify_id = a.id) AS matched,
            EXISTS (SELECT 1 FROM ${qi(enrichmentFailures.name)} f WHERE f.stage = 'musicbrainz' AND f.resource = 'artists'
              AND f.entity_id = a.id AND f.next_attempt_at > $now::TIMESTAMPTZ) AS waiting
          FROM artists a)
        SELECT count(*)::INTEGER AS played,
          count(*) FILTER (WHERE matched)::INTEGER AS matched,
          count(*) FILTER (WHERE NOT matched AND waiting)::INTEGER AS waiting,
          count(*) FILTER (WHERE NOT matched AND NOT waiting)::INTEGER AS fresh,
          coalesce(sum(plays) FILTER (WHERE NOT matched AND NOT waiting), 0)::BIGINT AS fresh_plays,
          coalesce(list({'spotify_id': id, 'name': name, 'plays': plays} ORDER BY plays DESC, id) FILTER (WHERE NOT matched AND NOT waiting), [])[1:${sampleSize}] AS sample
        FROM marked`, { since, now: now.toISOString() })
      const count = (value: unknown): number => Number(value ?? 0)
      return {
        processed: count(row?.fresh),
        remaining: 0,
        status: 'complete' as const,
        played: count(row?.played),
        matched: count(row?.matched),
        waiting: count(row?.waiting),
        new: count(row?.fresh),
        newPlays: count(row?.fresh_plays),
        sample: (row?.sample ?? []) as Array<{ spotify_id: string, name: string | null, plays: number }>,
      }
    },
  }
}
