import { tracksPlayed } from '../../../src/stages/ingest/tables.ts'
import { citiesWithLatLong } from '../../../src/stages/geography/tables.ts'
import { mbzAreaHierarchy, mbzArtistGenre, mbzArtistInfo, mbzArtistMatch } from '../../../src/stages/musicbrainz/tables.ts'
import { spotifyAlbums, spotifyArtistGenre, spotifyArtists, spotifyTracks } from '../../../src/stages/spotify/tables.ts'
import { openLake } from '../../helpers/lake.ts'
import { mbid, play, sid, spotifyPlay } from './rows.ts'

/**
 * A small lake in Europe/Berlin, written row by row as the stages would leave it:
 * - Alpha: Spotify artist with genres and popularity, matched to MusicBrainz (a Group from Bristol, with genres);
 * - Beta: Spotify artist without popularity (Development Mode), one Spotify genre, no MusicBrainz;
 * - Gamma: played with a Spotify id but never enriched; matched to an MBID only;
 * - Delta: ListenBrainz only (name and MBID, no Spotify id);
 * - Zeta: only ever credited beside Alpha;
 * - Eta: area United Kingdom, begin area London; Theta: a country code only (SE);
 * - listens found by ISRC ("ALPHA"), by name ("alpha"), by MBID ("Gamma Live");
 * - plays on both DST changes of 2025, one crossing into 2026 in local time, a short play, a play with no names.
 */
export const now = new Date('2026-02-15T12:00:00Z')
export const timezone = 'Europe/Berlin'

export const artists = {
  alpha: sid('Alpha'),
  beta: sid('Beta'),
  gamma: sid('Gamma'),
  zeta: sid('Zeta'),
  eta: sid('Eta'),
  theta: sid('Theta'),
}

export const mbids = {
  alpha: mbid('alpha'),
  gamma: mbid('gamma'),
  delta: mbid('delta'),
  eta: mbid('eta'),
  theta: mbid('theta'),
}

const areas = {
  bristol: mbid('area-bristol'),
  london: mbid('area-london'),
  uk: mbid('area-uk'),
  sweden: mbid('area-sweden'),
}

export const isrcA = 'GBAAA9800001'
const songA = { track: 'Song A', album: 'Album A', artists: ['Alpha'] }
const fetchedAt = '2026-01-01T00:00:00.000Z'

export const plays = [
  spotifyPlay('p00', '2019-06-01T10:00:00.000Z', songA, { ms_played: 120_000 }),
  // 2025-03-30: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
  spotifyPlay('p01', '2025-03-30T00:30:00.000Z', songA, { ms_played: 200_000, track_isrc: isrcA }),
  spotifyPlay('p02', '2025-03-30T01:30:00.000Z', songA, { ms_played: 200_000, track_isrc: isrcA }),
  // 2025-10-26: 03:00 CEST becomes 02:00 CET at 01:00 UTC, so both plays start at 02:30 local.
  spotifyPlay('p03', '2025-10-26T00:30:00.000Z', { track: 'Song B', album: 'Album B', artists: ['Beta'] }, { ms_played: 150_000 }),
  spotifyPlay('p04', '2025-10-26T01:30:00.000Z', { track: 'Song B', album: 'Album B', artists: ['Beta'] }, { ms_played: 150_000 }),
  // New Year's Eve in UTC, New Year's Day in Berlin; ms_played unknown: the track's length counts.
  spotifyPlay('p05', '2025-12-31T23:30:00.000Z', { track: 'Song G', album: 'Album G', artists: ['Gamma'] }, { ms_played: null, duration_ms: 180_000, source: 'spotify-api' }),
  spotifyPlay('p06', '2025-11-01T12:00:00.000Z', songA, { ms_played: 10_000, counts_as_play: false, skipped: true }),
  play({ play_id: 'p07', played_at: '2025-11-02T12:00:00.000Z', source: 'listenbrainz', track_name: 'Delta Song', album_name: 'Delta Album', artist_name: 'Delta', artist_names: ['Delta'], artist_mbids: [mbid('delta')] }),
  play({ play_id: 'p08', played_at: '2025-11-03T12:00:00.000Z', source: 'listenbrainz', track_name: 'Song A (Remastered)', artist_name: 'ALPHA', artist_names: ['ALPHA'], track_isrc: isrcA }),
  play({ play_id: 'p09', played_at: '2025-11-04T12:00:00.000Z', source: 'listenbrainz', track_name: 'Other Song', artist_name: '  alpha ', artist_names: ['  alpha '] }),
  play({ play_id: 'p10', played_at: '2025-11-05T12:00:00.000Z', source: 'listenbrainz', track_name: 'Live Song', album_name: 'Live', artist_name: 'Gamma Live', artist_names: ['Gamma Live'], artist_mbids: [mbid('gamma')] }),
  spotifyPlay('p11', '2025-11-06T12:00:00.000Z', { track: 'Song AZ', album: 'Album A', artists: ['Alpha', 'Zeta'] }, { ms_played: 90_000 }),
  play({ play_id: 'p12', played_at: '2025-11-07T12:00:00.000Z', ms_played: 60_000 }),
  spotifyPlay('p13', '2025-11-08T12:00:00.000Z', { track: 'Song E', album: 'Album E', artists: ['Eta'] }, { ms_played: 100_000 }),
  spotifyPlay('p14', '2025-11-09T12:00:00.000Z', { track: 'Song T', album: 'Album T', artists: ['Theta'] }, { ms_played: 100_000 }),
  play({ play_id: 'p15', played_at: '2025-11-10T12:00:00.000Z', source: 'listenbrainz', track_name: 'Short Delta', artist_name: 'Delta', counts_as_play: false, ms_played: 5000 }),
]

export const countingPlays = plays.filter((p) => p.counts_as_play).length

const hierarchy = (area: string, fields: Record<string, unknown>) => ({ area_id: area, path: [], ...fields })

/** Writes the small lake into `dataDir` (closed again, for an app to open). */
export async function seedSmallLake (dataDir: string): Promise<void> {
  const lake = await openLake(dataDir)
  try {
    await lake.merge(tracksPlayed, plays)
    await lake.merge(spotifyTracks, [
      { track_id: sid('Song A'), track_name: 'Song A', track_isrc: isrcA, duration_ms: 215_000, explicit: false, album_id: sid('Album A'), album_name: 'Album A', artist_id: artists.alpha, artist_name: 'Alpha', artist_ids: [artists.alpha], artist_names: ['Alpha'], fetched_at: fetchedAt },
      { track_id: sid('Song B'), track_name: 'Song B', duration_ms: 25_000, album_id: sid('Album B'), album_name: 'Album B', artist_id: artists.beta, artist_name: 'Beta', fetched_at: fetchedAt },
    ])
    await lake.merge(spotifyArtists, [
      { artist_id: artists.alpha, artist_name: 'Alpha', genres: ['indie rock', 'rock'], popularity: 72, followers: 1000, artist_mbid: mbids.alpha, fetched_at: fetchedAt },
      { artist_id: artists.beta, artist_name: 'Beta', genres: ['pop'], popularity: null, fetched_at: fetchedAt },
      { artist_id: artists.eta, artist_name: 'Eta', genres: [], popularity: 35, artist_mbid: mbids.eta, fetched_at: fetchedAt },
      { artist_id: artists.theta, artist_name: 'Theta', genres: [], popularity: 5, artist_mbid: mbids.theta, fetched_at: fetchedAt },
    ])
    await lake.merge(spotifyArtistGenre, [
      { artist_id: artists.alpha, artist_name: 'Alpha', genre: 'indie rock' },
      { artist_id: artists.alpha, artist_name: 'Alpha', genre: 'rock' },
      { artist_id: artists.beta, artist_name: 'Beta', genre: 'pop' },
    ])
    await lake.merge(spotifyAlbums, [
      { album_id: sid('Album A'), album_name: 'Album A', album_type: 'album', artist_id: artists.alpha, artist_name: 'Alpha', release_date: '1998', release_date_precision: 'year', release_year: 1998, total_tracks: 10, fetched_at: fetchedAt },
      { album_id: sid('Album B'), album_name: 'Album B', album_type: 'single', artist_id: artists.beta, artist_name: 'Beta', release_date: '2024-05', release_date_precision: 'month', total_tracks: 1, fetched_at: fetchedAt },
    ])
    await lake.merge(mbzArtistMatch, [
      { spotify_id: artists.alpha, spotify_name: 'Alpha', mbid: mbids.alpha, method: 'url-relation', confidence: 1, matched_at: fetchedAt },
      { spotify_id: artists.gamma, spotify_name: 'Gamma', mbid: mbids.gamma, method: 'isrc', confidence: 0.9, matched_at: fetchedAt },
      { spotify_id: artists.eta, spotify_name: 'Eta', mbid: mbids.eta, method: 'name', confidence: 0.8, matched_at: fetchedAt },
      { spotify_id: artists.theta, spotify_name: 'Theta', mbid: mbids.theta, method: 'name', confidence: 0.8, matched_at: fetchedAt },
    ])
    await lake.merge(mbzArtistInfo, [
      { id: mbids.alpha, spotify_id: artists.alpha, name: 'Alpha', type: 'Group', area_id: areas.bristol, area_name: 'Bristol', begin_area_id: areas.london, country: 'GB', fetched_at: fetchedAt },
      { id: mbids.eta, spotify_id: artists.eta, name: 'Eta', type: 'Person', gender: 'Female', area_id: areas.uk, area_name: 'United Kingdom', begin_area_id: areas.london, country: 'GB', fetched_at: fetchedAt },
      { id: mbids.theta, spotify_id: artists.theta, name: 'Theta', type: 'Person', country: 'SE', fetched_at: fetchedAt },
    ])
    await lake.merge(mbzArtistGenre, [
      { artist_mbid: mbids.alpha, genre: 'trip hop', count: 5 },
      { artist_mbid: mbids.alpha, genre: 'Rock', count: 3 },
      { artist_mbid: mbids.eta, genre: 'folk', count: 2 },
      { artist_mbid: mbids.eta, genre: 'pop', count: 2 },
    ])
    const uk = { country: 'United Kingdom', country_code: 'GB', continent: 'Europe', continent_code: 'EU' }
    await lake.merge(mbzAreaHierarchy, [
      hierarchy(areas.bristol, { area_type: 'City', area_name: 'Bristol', city: 'Bristol', county: 'Bristol', subdivision: 'England', subdivision_code: 'GB-ENG', state_code: 'ENG', params: 'Bristol,GB', ...uk }),
      hierarchy(areas.london, { area_type: 'City', area_name: 'London', city: 'London', subdivision: 'England', subdivision_code: 'GB-ENG', state_code: 'ENG', params: 'London,GB', ...uk }),
      hierarchy(areas.uk, { area_type: 'Country', area_name: 'United Kingdom', ...uk }),
      hierarchy(areas.sweden, { area_type: 'Country', area_name: 'Sweden', country: 'Sweden', country_code: 'SE', continent: 'Europe', continent_code: 'EU' }),
    ])
    await lake.merge(citiesWithLatLong, [
      { params: 'Bristol,GB', city_name: 'Bristol', country_code: 'GB', lat: 51.4545, lon: -2.5879, provider: 'geonames', fetched_at: fetchedAt },
      { params: 'London,GB', city_name: 'London', country_code: 'GB', lat: 51.5085, lon: -0.1257, provider: 'geonames', fetched_at: fetchedAt },
    ])
  } finally {
    await lake.close()
  }
}
