import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import path from 'node:path'
import yazl from 'yazl'
import { spotifyId } from '../../test/fakes/fake-spotify.ts'
import { exportEntry, podcastEntry, type ExportEntry } from '../../test/helpers/export.ts'
import { mulberry32 } from '../../test/helpers/random.ts'

export const folder = 'Spotify Extended Streaming History'
const firstYear = 2015
const lastYear = 2026
const totalEntries = 150_000
const distinctTracks = 8_000
const distinctArtists = 1_500
const podcastShare = 0.05
const shortPlayShare = 0.10
const minPlayMs = 30_000
const maxPlayMs = 600_000
/** Every this-many entries of a file repeats the entry before it, as real exports sometimes do. */
const repeatEvery = 1_000
const platforms = ['android', 'ios', 'windows', 'osx', 'web_player', 'cast_to_device']

export interface GeneratedExport {
  zipFile: string
  zipBytes: number
  files: number
  entries: number
  /** entries with a track: what the import stores */
  rows: number
  podcasts: number
  shortPlays: number
  /** rows that repeat the row before them in the same file */
  repeats: number
  tracks: number
}

const isoSeconds = (msSinceEpoch: number): string => new Date(Math.floor(msSinceEpoch / 1000) * 1000).toISOString().replace('.000Z', 'Z')

const trackIds = Array.from({ length: distinctTracks }, (_, n) => spotifyId(`bench-track-${n}`))

function trackEntry (n: number, ts: string, msPlayed: number, rnd: () => number): ExportEntry {
  const short = msPlayed < minPlayMs
  return exportEntry({
    ts,
    ms_played: msPlayed,
    platform: platforms[n % platforms.length],
    master_metadata_track_name: `Song ${n}`,
    master_metadata_album_artist_name: `Artist ${n % distinctArtists}`,
    master_metadata_album_album_name: `Album ${Math.floor(n / 4)}`,
    spotify_track_uri: `spotify:track:${trackIds[n]}`,
    reason_start: rnd() < 0.7 ? 'trackdone' : 'clickrow',
    reason_end: short ? 'fwdbtn' : 'trackdone',
    shuffle: rnd() < 0.4,
    skipped: short,
    offline_timestamp: Math.floor(Date.parse(ts) / 1000),
  })
}

/**
 * One year of plays. Entries are spaced further apart than the longest play, so start times (ts − ms_played) never
 * collide by accident: the only duplicate plays are the deliberate repeats.
 */
function yearEntries (year: number, count: number, rnd: () => number, totals: GeneratedExport, seen: Set<number>): ExportEntry[] {
  const start = Date.UTC(year, 0, 1)
  const gap = Math.floor((Date.UTC(year + 1, 0, 1) - start) / count)
  // ts is cut to whole seconds, hence the extra second.
  const spacing = maxPlayMs + 1000
  const entries: ExportEntry[] = []
  for (let i = 0; i < count; i++) {
    const previous = entries[i - 1]
    if (i % repeatEvery === repeatEvery - 1 && previous?.spotify_track_uri) {
      entries.push(structuredClone(previous))
      totals.repeats++
      totals.rows++
      if ((previous.ms_played as number) < minPlayMs) totals.shortPlays++
      continue
    }
    const ts = isoSeconds(start + i * gap + spacing + Math.floor(rnd() * (gap - spacing)))
    if (rnd() < podcastShare) {
      entries.push(podcastEntry(ts))
      totals.podcasts++
      continue
    }
    // Squaring skews the draw towards low numbers: a few tracks are played a lot, most rarely.
    const n = Math.floor(rnd() ** 2 * distinctTracks)
    const msPlayed = rnd() < shortPlayShare ? Math.floor(rnd() * minPlayMs) : minPlayMs + Math.floor(rnd() * (maxPlayMs - minPlayMs))
    entries.push(trackEntry(n, ts, msPlayed, rnd))
    seen.add(n)
    totals.rows++
    if (msPlayed < minPlayMs) totals.shortPlays++
  }
  return entries
}

/** Writes an export zip shaped like Spotify's (one audio file per year, video history, the PDF) into `dir`. */
export async function generateExport (dir: string): Promise<GeneratedExport> {
  const years = lastYear - firstYear + 1
  const perYear = totalEntries / years
  const rnd = mulberry32(20_150_101)
  const zipFile = path.join(dir, 'my_spotify_data.zip')
  const totals: GeneratedExport = { zipFile, zipBytes: 0, files: years, entries: 0, rows: 0, podcasts: 0, shortPlays: 0, repeats: 0, tracks: 0 }
  const seen = new Set<number>()
  const zip = new yazl.ZipFile()
  const out = createWriteStream(zipFile)
  zip.outputStream.pipe(out)
  for (let year = firstYear; year <= lastYear; year++) {
    const count = Math.round(perYear * (year - firstYear + 1)) - Math.round(perYear * (year - firstYear))
    const entries = yearEntries(year, count, rnd, totals, seen)
    totals.entries += entries.length
    // Spotify's files are indented JSON.
    zip.addBuffer(Buffer.from(JSON.stringify(entries, null, 2)), `${folder}/Streaming_History_Audio_${year}.json`)
  }
  const video = [{ ts: '2020-05-01T20:00:00Z', platform: 'android', ms_played: 5000, conn_country: 'DE' }]
  zip.addBuffer(Buffer.from(JSON.stringify(video, null, 2)), `${folder}/Streaming_History_Video_2020.json`)
  zip.addBuffer(Buffer.from('%PDF-1.4\n% tracklake bench placeholder\n'), `${folder}/ReadMeFirst_ExtendedStreamingHistory.pdf`)
  zip.end()
  await once(out, 'close')
  totals.zipBytes = out.bytesWritten
  totals.tracks = seen.size
  return totals
}
