import type { FakeSpotify } from '../fakes/fake-spotify.ts'

/** Adds `count` plays of the fake's catalog tracks to its play history, one every `gapMs`, ending at `end`. */
export function addPlays (fake: FakeSpotify, count: number, end = Date.parse('2026-11-20T12:00:00.000Z'), gapMs = 240_000): Array<{ played_at: string, trackId: string }> {
  const tracks = [...fake.tracks.values()]
  const added: Array<{ played_at: string, trackId: string }> = []
  for (let i = 0; i < count; i++) {
    const track = tracks[i % tracks.length]!
    const played_at = new Date(end - (count - 1 - i) * gapMs).toISOString()
    fake.plays.push({ played_at, track, context: i % 2 === 0 ? null : { type: 'album', uri: track.album.uri, href: track.album.href, external_urls: {} } })
    added.push({ played_at, trackId: track.id })
  }
  return added
}
