import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { simpleStepRoute, type SimpleStep } from '../../batch/simple-step.ts'
import { siblingModule } from '../../child-process.ts'
import type { Lake } from '../../lake/lake.ts'
import type { TableDef } from '../../lake/table.ts'
import { plainTable } from '../../lake/write-process.ts'
import type { MbidChanges } from './mbid-updates.ts'
import { mbzArtistMatch } from './tables.ts'

const result = {
  artists: Type.Integer({ description: 'spotify_artists rows whose artist_mbid changed' }),
  plays: Type.Integer({ description: 'tracks_played rows whose artist_mbids changed' }),
}

export type UpdateMbidsStep = SimpleStep<Record<string, never>, typeof result>

export function createUpdateMbids (deps: {
  lake: Lake
  /** the Spotify stage's spotify_artists */
  artists: TableDef
  /** the ingest stage's tracks_played */
  plays: TableDef
  /** waits for plays still being filled from resolved tracks, so they get their MBIDs in this call */
  settlePlays?: () => Promise<void>
}): UpdateMbidsStep {
  const job = siblingModule(import.meta.url, 'mbid-updates')
  return {
    name: 'musicbrainz.update-mbids',
    tag: 'musicbrainz',
    summary: 'Update MBIDs: artist MBIDs from the matches, play MBIDs from the artists',
    description: 'Sets spotify_artists.artist_mbid from mbz_artist_match (a match row without an MBID clears it) and ' +
      'tracks_played.artist_mbids from the MBIDs of each play\'s credited Spotify artists, in credit order. Plays from ' +
      'ListenBrainz keep the artist MBIDs ListenBrainz gave them. Idempotent: a second call changes nothing. One call ' +
      'does all the work (processed = rows changed).',
    body: {},
    result,
    errors: ['LAKE_WRITE_FAILED'],
    defaultMaxSeconds: 300,
    async run () {
      await deps.settlePlays?.()
      // In a write process: it rewrites every play, and DuckDB's memory for that would stay with the service. The
      // matches are locked too, so the child reads one version of each table it reads.
      const changed = await deps.lake.writeInProcess<MbidChanges>([deps.artists, deps.plays, mbzArtistMatch], job,
        { artists: plainTable(deps.artists), plays: plainTable(deps.plays) })
      return { processed: changed.artists + changed.plays, remaining: 0, status: 'complete', ...changed }
    },
  }
}

/** POST / — register with the prefix /v1/musicbrainz/update-mbids. */
export function updateMbidsRoutes (step: UpdateMbidsStep, deps: { now: () => Date }): FastifyPluginAsync {
  return simpleStepRoute(step, deps)
}
