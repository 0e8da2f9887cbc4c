import yazl from 'yazl'
import { spotifyFixtures } from '../fakes/fake-spotify.ts'

export type ExportEntry = Record<string, unknown>

/** An audio-history entry in the shape of the real sample, for a play that ended at `ts`. */
export function exportEntry (overrides: Partial<ExportEntry> & { ts: string }): ExportEntry {
  return { ...structuredClone(spotifyFixtures.extendedHistory[0]!), ...overrides }
}

export function podcastEntry (ts: string): ExportEntry {
  return exportEntry({
    ts,
    master_metadata_track_name: null,
    master_metadata_album_artist_name: null,
    master_metadata_album_album_name: null,
    spotify_track_uri: null,
    episode_name: 'Episode 12',
    episode_show_name: 'A Show',
    spotify_episode_uri: 'spotify:episode:0Q86acNRm6V9GYx55SXKwf',
  })
}

/** A zip like Spotify's: a top folder with audio files, video files and the PDF. */
export async function exportZip (files: Record<string, unknown>, options: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, content] of Object.entries(files)) {
    zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(typeof content === 'string' ? content : JSON.stringify(content)), name, { compress: options.compress ?? true })
  }
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks)
}
