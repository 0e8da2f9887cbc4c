import { enrichmentFailures } from './batch/tables.ts'
import { quarantine } from './lake/quarantine.ts'
import type { TableDef } from './lake/table.ts'
import { citiesWithLatLong } from './stages/geography/tables.ts'
import { tracksPlayed } from './stages/ingest/tables.ts'
import { mbzAreaHierarchy, mbzAreas, mbzArtistGenre, mbzArtistInfo, mbzArtistMatch } from './stages/musicbrainz/tables.ts'
import { spotifyAlbums, spotifyArtistGenre, spotifyArtists, spotifyTracks } from './stages/spotify/tables.ts'

/** Every lake table, in the order the table list shows them. Each stage declares its own in stages/<stage>/tables.ts. */
export const catalog: readonly TableDef[] = [
  tracksPlayed,
  spotifyTracks,
  spotifyArtists,
  spotifyArtistGenre,
  spotifyAlbums,
  mbzArtistMatch,
  mbzArtistInfo,
  mbzArtistGenre,
  mbzAreas,
  mbzAreaHierarchy,
  citiesWithLatLong,
  enrichmentFailures,
  quarantine,
]
