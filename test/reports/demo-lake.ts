import { citiesWithLatLong } from '../../src/stages/geography/tables.ts'
import { tracksPlayed } from '../../src/stages/ingest/tables.ts'
import { mbzAreaHierarchy, mbzArtistGenre, mbzArtistInfo, mbzArtistMatch } from '../../src/stages/musicbrainz/tables.ts'
import { spotifyAlbums, spotifyArtistGenre, spotifyArtists, spotifyTracks } from '../../src/stages/spotify/tables.ts'
import { openLake } from '../helpers/lake.ts'
import { mulberry32 } from '../helpers/random.ts'
import { mbid, play, sid } from '../stages/warehouse/rows.ts'

/**
 * A lake that looks like two years of someone's listening, for the browser test and the README screenshot: 48
 * made-up artists from 30 real cities (coordinates as GeoNames has them) on every continent but Antarctica, with
 * MusicBrainz and Spotify genres; a few artists never matched (origin unknown), a few known by country only. Plays
 * follow a day (mornings, lunch, long evenings), a week (more at weekends) and the seasons, drawn from a seeded
 * generator: the same lake every run. Europe/Berlin; "now" is 2026-02-15 12:00 UTC.
 */
export const demoNow = new Date('2026-02-15T12:00:00Z')
export const demoTimezone = 'Europe/Berlin'
const firstDay = Date.parse('2024-02-16T00:00:00Z')

const cities: Array<[city: string, state: string | null, country: string, code: string, continent: string, continentCode: string, lat: number, lon: number]> = [
  ['Bristol', 'England', 'United Kingdom', 'GB', 'Europe', 'EU', 51.4545, -2.5879],
  ['London', 'England', 'United Kingdom', 'GB', 'Europe', 'EU', 51.5085, -0.1257],
  ['Manchester', 'England', 'United Kingdom', 'GB', 'Europe', 'EU', 53.4809, -2.2374],
  ['Glasgow', 'Scotland', 'United Kingdom', 'GB', 'Europe', 'EU', 55.8652, -4.2576],
  ['Reykjavík', null, 'Iceland', 'IS', 'Europe', 'EU', 64.1355, -21.8954],
  ['Stockholm', null, 'Sweden', 'SE', 'Europe', 'EU', 59.3326, 18.0649],
  ['Berlin', 'Berlin', 'Germany', 'DE', 'Europe', 'EU', 52.5244, 13.4105],
  ['Paris', 'Île-de-France', 'France', 'FR', 'Europe', 'EU', 48.8534, 2.3488],
  ['Dublin', 'Leinster', 'Ireland', 'IE', 'Europe', 'EU', 53.3331, -6.2489],
  ['Oslo', null, 'Norway', 'NO', 'Europe', 'EU', 59.9127, 10.7461],
  ['Amsterdam', 'North Holland', 'Netherlands', 'NL', 'Europe', 'EU', 52.374, 4.8897],
  ['Lisbon', null, 'Portugal', 'PT', 'Europe', 'EU', 38.7167, -9.1333],
  ['Helsinki', null, 'Finland', 'FI', 'Europe', 'EU', 60.1695, 24.9354],
  ['Montréal', 'Quebec', 'Canada', 'CA', 'North America', 'NA', 45.5088, -73.5878],
  ['Toronto', 'Ontario', 'Canada', 'CA', 'North America', 'NA', 43.7001, -79.4163],
  ['New York', 'New York', 'United States', 'US', 'North America', 'NA', 40.7143, -74.006],
  ['Los Angeles', 'California', 'United States', 'US', 'North America', 'NA', 34.0522, -118.2437],
  ['Seattle', 'Washington', 'United States', 'US', 'North America', 'NA', 47.6062, -122.3321],
  ['Atlanta', 'Georgia', 'United States', 'US', 'North America', 'NA', 33.749, -84.388],
  ['Kingston', null, 'Jamaica', 'JM', 'North America', 'NA', 17.997, -76.7936],
  ['Mexico City', null, 'Mexico', 'MX', 'North America', 'NA', 19.4285, -99.1277],
  ['São Paulo', 'São Paulo', 'Brazil', 'BR', 'South America', 'SA', -23.5475, -46.6361],
  ['Bogotá', null, 'Colombia', 'CO', 'South America', 'SA', 4.6097, -74.0817],
  ['Lagos', 'Lagos', 'Nigeria', 'NG', 'Africa', 'AF', 6.4541, 3.3947],
  ['Bamako', null, 'Mali', 'ML', 'Africa', 'AF', 12.65, -8],
  ['Cape Town', 'Western Cape', 'South Africa', 'ZA', 'Africa', 'AF', -33.9258, 18.4232],
  ['Tokyo', null, 'Japan', 'JP', 'Asia', 'AS', 35.6895, 139.6917],
  ['Seoul', null, 'South Korea', 'KR', 'Asia', 'AS', 37.566, 126.9784],
  ['Melbourne', 'Victoria', 'Australia', 'AU', 'Oceania', 'OC', -37.814, 144.9633],
  ['Auckland', null, 'New Zealand', 'NZ', 'Oceania', 'OC', -36.8485, 174.7633],
]

/** Made-up artists: name, city index (-1: never matched to MusicBrainz; a country code: that country only), genres. */
const artistSpecs: Array<[name: string, place: number | string, genres: string[]]> = [
  ['Harbour Lights', 0, ['trip hop', 'electronic']],
  ['The Quiet Engines', 1, ['indie rock', 'post-punk']],
  ['Northern Static', 2, ['indie rock', 'shoegaze']],
  ['Clyde Ferries', 3, ['indie pop', 'indie rock']],
  ['Aurora Fjell', 4, ['ambient', 'electronic']],
  ['Sundqvist', 5, ['pop', 'electronic']],
  ['Tiergarten', 6, ['techno', 'electronic']],
  ['Mireille Sable', 7, ['chanson', 'pop']],
  ['Liffey Blue', 8, ['folk', 'indie folk']],
  ['Nordlys', 9, ['post-rock', 'ambient']],
  ['Grachten', 10, ['house', 'electronic']],
  ['Fado Novo', 11, ['fado', 'folk']],
  ['Kaamos', 12, ['metal', 'post-rock']],
  ['Mile End Choir', 13, ['indie rock', 'art rock']],
  ['Lakeshore Drive', 14, ['r&b', 'soul']],
  ['Bowery Kings', 15, ['hip hop', 'jazz rap']],
  ['Canyon Bloom', 16, ['dream pop', 'indie pop']],
  ['Rain City', 17, ['grunge', 'indie rock']],
  ['Peachtree', 18, ['hip hop', 'trap']],
  ['Trench Town Sound', 19, ['reggae', 'dub']],
  ['Luz de Neón', 20, ['cumbia', 'electronic']],
  ['Garoa', 21, ['bossa nova', 'jazz']],
  ['Cumbia Andina', 22, ['cumbia', 'folk']],
  ['Eko Highlife', 23, ['afrobeat', 'highlife']],
  ['Niger Blues', 24, ['desert blues', 'folk']],
  ['Table Mountain', 25, ['jazz', 'soul']],
  ['Neon Shibuya', 26, ['city pop', 'pop']],
  ['Han River', 27, ['k-pop', 'pop']],
  ['Southern Cross', 28, ['indie rock', 'psychedelic rock']],
  ['Waitematā', 29, ['indie pop', 'dream pop']],
  ['Severn Tide', 0, ['drum and bass', 'electronic']],
  ['Brixton Rhythm', 1, ['dub', 'reggae']],
  ['Kreuzberg Tapes', 6, ['techno', 'ambient']],
  ['Brooklyn Haze', 15, ['jazz', 'soul']],
  ['Echo Park', 16, ['indie pop', 'pop']],
  ['Gothenburg Sun', 'SE', ['indie pop', 'pop']],
  ['Lyon Lights', 'FR', ['electronic', 'house']],
  ['Osaka Loop', 'JP', ['jazz', 'city pop']],
  ['Unmatched One', -1, ['lo-fi', 'hip hop']],
  ['Midnight Radio', -1, ['synthwave', 'electronic']],
  ['Paper Moons', -1, ['indie folk', 'folk']],
  ['Velvet Hours', 1, ['soul', 'r&b']],
  ['Bristol Basement', 0, ['trip hop', 'dub']],
  ['Ice Choir', 4, ['ambient', 'post-rock']],
  ['Marais', 7, ['jazz', 'chanson']],
  ['Hollywood Hills', 16, ['pop', 'dance pop']],
  ['Sapporo Snow', 26, ['ambient', 'city pop']],
  ['Soweto Strings', 25, ['afrobeat', 'jazz']],
]

/** Listening by local hour (Berlin): a little at breakfast, more at lunch, most in the evening. */
const hourWeights = [1, 0.5, 0.2, 0.1, 0.1, 0.2, 0.8, 2.2, 3, 2.2, 1.6, 1.8, 2.6, 2.4, 1.8, 1.6, 1.8, 2.4, 3.2, 3.8, 4.2, 4, 3.2, 2]

function pick<T> (rnd: () => number, items: readonly T[], weights: readonly number[]): T {
  const total = weights.reduce((a, b) => a + b, 0)
  let r = rnd() * total
  for (let i = 0; i < items.length; i++) {
    r -= weights[i]!
    if (r <= 0) return items[i]!
  }
  return items.at(-1)!
}

const fetchedAt = '2026-01-01T00:00:00.000Z'

export interface DemoLake {
  plays: number
  artists: number
}

/** Writes the demo lake into `dir` (no app may have it open). */
export async function seedDemoLake (dir: string): Promise<DemoLake> {
  const rnd = mulberry32(20260215)
  const artists = artistSpecs.map(([name, place, genres], i) => {
    const tracks = Array.from({ length: 3 + (i % 4) }, (_, t) => {
      const track = `${['Waves', 'Lanterns', 'Afterglow', 'Tidal', 'Static', 'Glass', 'Orbit', 'Harbour'][(i + t) % 8]} ${['I', 'II', 'Song', 'Theme', 'Reprise', 'Dub'][(i * 3 + t) % 6]}`
      const album = `${name.split(' ')[0]} ${['Sessions', 'Nights', 'Tapes', 'Days'][t % 2 === 0 ? i % 4 : (i + 1) % 4]}`
      return { name: `${track}${t > 0 ? ` (${name.split(' ').at(-1)})` : ''}`, album, durationMs: 150_000 + Math.round(rnd() * 210_000) }
    })
    return { name, id: sid(`demo:${name}`), mbid: mbid(`demo:${name}`), place, genres, tracks, weight: 1 / (1 + i * 0.22) }
  })

  const plays: Array<Record<string, unknown>> = []
  const days = Math.round((demoNow.getTime() - firstDay) / 86_400_000)
  let n = 0
  for (let d = 0; d <= days; d++) {
    const date = new Date(firstDay + d * 86_400_000)
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6
    const season = 1 + 0.35 * Math.cos((date.getUTCMonth() - 0.5) / 12 * 2 * Math.PI)
    const count = Math.round((weekend ? 10 : 6) * season * (0.5 + rnd()))
    for (let k = 0; k < count; k++) {
      const hour = pick(rnd, [...hourWeights.keys()], hourWeights)
      // Berlin is UTC+1 in winter, +2 in summer: close enough for a made-up history.
      const at = new Date(date.getTime() + (hour - 1) * 3_600_000 + Math.floor(rnd() * 3_600_000))
      if (at > demoNow) continue
      const artist = pick(rnd, artists, artists.map((a) => a.weight))
      const track = artist.tracks[Math.floor(rnd() * artist.tracks.length)]!
      const skipped = rnd() < 0.12
      const msPlayed = skipped ? 30_000 + Math.round(rnd() * 60_000) : track.durationMs
      const source = at.getTime() > Date.parse('2025-12-01') ? 'spotify-api' : rnd() < 0.15 ? 'listenbrainz' : 'spotify-export'
      plays.push(play({
        play_id: `demo-${String(n++).padStart(6, '0')}`,
        played_at: at.toISOString(),
        source,
        track_id: sid(`demo:${artist.name}:${track.name}`),
        track_name: track.name,
        album_id: sid(`demo:${artist.name}:${track.album}`),
        album_name: track.album,
        artist_id: artist.id,
        artist_name: artist.name,
        artist_ids: [artist.id],
        artist_names: [artist.name],
        duration_ms: track.durationMs,
        ms_played: msPlayed,
        counts_as_play: true,
        skipped,
      }))
    }
  }

  const lake = await openLake(dir)
  try {
    await lake.merge(tracksPlayed, plays)
    await lake.merge(spotifyTracks, artists.flatMap((a) => a.tracks.map((t) => ({
      track_id: sid(`demo:${a.name}:${t.name}`),
      track_name: t.name,
      duration_ms: t.durationMs,
      explicit: false,
      album_id: sid(`demo:${a.name}:${t.album}`),
      album_name: t.album,
      artist_id: a.id,
      artist_name: a.name,
      artist_ids: [a.id],
      artist_names: [a.name],
      fetched_at: fetchedAt,
    }))))
    await lake.merge(spotifyArtists, artists.map((a, i) => ({ artist_id: a.id, artist_name: a.name, genres: a.genres, popularity: 30 + (i * 7) % 60, followers: 1000 * (i + 1), fetched_at: fetchedAt })))
    await lake.merge(spotifyArtistGenre, artists.flatMap((a) => a.genres.map((genre) => ({ artist_id: a.id, artist_name: a.name, genre }))))
    await lake.merge(spotifyAlbums, [...new Map(artists.flatMap((a) => a.tracks.map((t) => [`${a.name}:${t.album}`, {
      album_id: sid(`demo:${a.name}:${t.album}`),
      album_name: t.album,
      album_type: 'album',
      artist_id: a.id,
      artist_name: a.name,
      release_date: String(2010 + (a.name.length % 15)),
      release_date_precision: 'year',
      release_year: 2010 + (a.name.length % 15),
      total_tracks: 10,
      fetched_at: fetchedAt,
    }]))).values()])
    const matched = artists.filter((a) => a.place !== -1)
    await lake.merge(mbzArtistMatch, matched.map((a) => ({ spotify_id: a.id, spotify_name: a.name, mbid: a.mbid, method: 'isrc', confidence: 0.9, matched_at: fetchedAt })))
    await lake.merge(mbzArtistInfo, matched.map((a) => ({
      id: a.mbid,
      spotify_id: a.id,
      name: a.name,
      type: 'Group',
      country: typeof a.place === 'string' ? a.place : cities[a.place]![3],
      area_id: typeof a.place === 'string' ? undefined : mbid(`demo-area:${a.place}`),
      area_name: typeof a.place === 'string' ? undefined : cities[a.place]![0],
      fetched_at: fetchedAt,
    })))
    // MusicBrainz knows the first genre of two artists in three; Spotify's genres fill in the rest.
    await lake.merge(mbzArtistGenre, matched.filter((_, i) => i % 3 !== 2).map((a) => ({ artist_mbid: a.mbid, genre: a.genres[0]!, count: 4 })))
    await lake.merge(mbzAreaHierarchy, [
      ...cities.map(([city, state, country, code, continent, continentCode], i) => ({
        area_id: mbid(`demo-area:${i}`),
        area_type: 'City',
        area_name: city,
        path: [],
        city,
        subdivision: state,
        country,
        country_code: code,
        continent,
        continent_code: continentCode,
        params: `${city},${code}`,
      })),
      // A country area for each country an artist is placed in by country alone.
      { area_id: mbid('demo-country:SE'), area_type: 'Country', area_name: 'Sweden', path: [], country: 'Sweden', country_code: 'SE', continent: 'Europe', continent_code: 'EU' },
      { area_id: mbid('demo-country:FR'), area_type: 'Country', area_name: 'France', path: [], country: 'France', country_code: 'FR', continent: 'Europe', continent_code: 'EU' },
      { area_id: mbid('demo-country:JP'), area_type: 'Country', area_name: 'Japan', path: [], country: 'Japan', country_code: 'JP', continent: 'Asia', continent_code: 'AS' },
    ])
    await lake.merge(citiesWithLatLong, cities.map(([city, , , code, , , lat, lon]) => ({ params: `${city},${code}`, city_name: city, country_code: code, lat, lon, provider: 'geonames', fetched_at: fetchedAt })))
  } finally {
    await lake.close()
  }
  return { plays: plays.length, artists: artists.length }
}
