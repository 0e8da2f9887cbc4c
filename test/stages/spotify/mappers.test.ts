import { describe, expect, it } from 'vitest'
import { albumRecord, artistRecord, trackRecord } from '../../../src/stages/spotify/mappers.ts'
import { spotifyFixtures } from '../../fakes/fake-spotify.ts'

const at = '2026-11-01T00:00:00.000Z'

describe('Spotify mappers on the real samples', () => {
  it('maps a pre-2026 artist with genres, popularity, followers and the largest image', () => {
    expect(artistRecord(spotifyFixtures.artist, at)).toEqual({
      artist_id: '0OdUWJ0sBjDrqHygGUXeCF',
      artist_name: 'Band of Horses',
      genres: ['indie folk', 'indie pop'],
      popularity: 59,
      followers: 306565,
      image_url: 'https://i.scdn.co/image/eb266625dab075341e8c4378a177a27370f91903',
      artist_mbid: null,
      fetched_at: at,
    })
  })

  it('maps a Development Mode artist (no genres, popularity, followers) with nulls', () => {
    const { genres, popularity, followers, ...devMode } = spotifyFixtures.artist
    expect([genres, popularity, followers].every(Boolean)).toBe(true)
    expect(artistRecord(devMode, at)).toMatchObject({ genres: [], popularity: null, followers: null })
  })

  it('maps each artist of a batch answer', () => {
    const artists = (spotifyFixtures.severalArtists.artists as unknown[]).map((a) => artistRecord(a, at))
    expect(artists.map((a) => a?.artist_name)).toEqual(['David Bowie', 'T. Rex'])
  })

  it('maps an album, taking the year from release_date and the track count from tracks.total', () => {
    expect(albumRecord(spotifyFixtures.album, at)).toMatchObject({
      album_id: '0sNOF9WDwhWunNAHPD3Baj',
      album_name: "She's So Unusual",
      album_type: 'album',
      artist_name: 'Cyndi Lauper',
      release_date: '1983',
      release_date_precision: 'year',
      release_year: 1983,
      total_tracks: 13,
      label: null,
      popularity: 39,
    })
  })

  it('maps a played track with all credited artists and an upper-case ISRC', () => {
    const track = (spotifyFixtures.recentlyPlayed.items as Array<{ track: unknown }>)[0]!.track
    expect(trackRecord(track, at)).toMatchObject({
      track_id: '7vqcDtNvoJn5pXhktc8qe8',
      track_isrc: 'GB7M21425001',
      artist_ids: ['3TXQ1ddouwQAI78hV4hXDj', '3YpEUCjdLuPmBspkmoPYnX'],
      artist_names: ['Maceo Plex', 'Gabriel Ananda'],
      artist_id: '3TXQ1ddouwQAI78hV4hXDj',
      album_id: '462nMAgJr4l14IqVngpOXM',
      duration_ms: 463405,
    })
  })

  it('refuses objects without an id or a name', () => {
    expect(artistRecord({ name: 'x' }, at)).toBeUndefined()
    expect(albumRecord(null, at)).toBeUndefined()
    expect(trackRecord({ id: 'x' }, at)).toBeUndefined()
  })
})
