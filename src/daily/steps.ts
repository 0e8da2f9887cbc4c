/**
 * Every step the runner can drive, as data: its name (what `tracklake run <step>` takes), its kind and its route. A step
 * whose route is not registered shows as "not available"; registering the route is all it takes to run it.
 */
export type StepKind = 'granular' | 'simple'

export interface StepDescriptor {
  /** kebab-case, e.g. spotify-artists */
  name: string
  /** words for progress and summaries, e.g. "Spotify artists" */
  title: string
  kind: StepKind
  /** granular: the prefix of plan, fetch and write; simple: the route itself (POST) */
  path: string
  /** simple steps: whether the route takes `maxSeconds` (every simpleStepRoute does) */
  timeBoxed?: boolean
}

/** The Daily ETL in order, ending with the raw/ retention rule. */
export const dailyChain: readonly StepDescriptor[] = [
  { name: 'spotify-tracks', title: 'Spotify track resolution', kind: 'granular', path: '/v1/spotify/tracks' },
  { name: 'spotify-artists', title: 'Spotify artists', kind: 'granular', path: '/v1/spotify/artists' },
  { name: 'spotify-albums', title: 'Spotify albums', kind: 'granular', path: '/v1/spotify/albums' },
  { name: 'musicbrainz-discover', title: 'MusicBrainz discovery', kind: 'simple', path: '/v1/musicbrainz/discover' },
  { name: 'musicbrainz-artists', title: 'MusicBrainz enrichment', kind: 'granular', path: '/v1/musicbrainz/artists' },
  { name: 'musicbrainz-parse', title: 'MusicBrainz parsing', kind: 'simple', path: '/v1/musicbrainz/parse' },
  { name: 'musicbrainz-hierarchy', title: 'Area hierarchy', kind: 'simple', path: '/v1/musicbrainz/areas/hierarchy' },
  { name: 'geography-base', title: 'Geography base', kind: 'simple', path: '/v1/geography/base' },
  { name: 'geography-cities', title: 'City coordinates', kind: 'granular', path: '/v1/geography/cities' },
  { name: 'musicbrainz-update-mbids', title: 'Update MBIDs', kind: 'simple', path: '/v1/musicbrainz/update-mbids' },
  { name: 'warehouse-build', title: 'Warehouse build', kind: 'simple', path: '/v1/warehouse/build' },
  { name: 'raw-retention', title: 'raw/ retention', kind: 'simple', path: '/v1/raw/retention' },
]

/** Steps that are not part of the Daily ETL but run the same way (Track Ingestion's polls). */
export const otherSteps: readonly StepDescriptor[] = [
  { name: 'ingest-recently-played', title: 'Spotify recently played', kind: 'simple', path: '/v1/ingest/recently-played', timeBoxed: false },
  { name: 'ingest-listenbrainz', title: 'ListenBrainz listens', kind: 'simple', path: '/v1/ingest/listenbrainz', timeBoxed: false },
]

export const allSteps: readonly StepDescriptor[] = [...dailyChain, ...otherSteps]

export function findStep (name: string): StepDescriptor | undefined {
  return allSteps.find((step) => step.name === name)
}
