import { createHash } from 'node:crypto'
import { createWriteStream, existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import { once } from 'node:events'
import os from 'node:os'
import path from 'node:path'
import yazl from 'yazl'
import { random, tracksByArtist, zipf, type World } from './world.ts'

/** Bump when the generated export changes shape: the cache key includes it. */
const generatorVersion = 1
const folder = 'Spotify Extended Streaming History'
/** Spotify splits a long history into files of about 12 MB. */
const entriesPerFile = 16_000
const podcastShare = 0.02
const shortPlayShare = 0.10
const minPlayMs = 30_000
const maxPlayMs = 600_000
/** Every this-many entries repeats the entry before it, as real exports sometimes do. */
const repeatEvery = 1_000
const platforms = ['android', 'ios', 'windows', 'osx', 'web_player', 'cast_to_device']
const countries = ['DE', 'DE', 'DE', 'AT', 'NL', 'FR', 'GB', 'US']

export interface WorldExport {
  zipFile: string
  zipBytes: number
  /** the audio files, extracted: what the floor (DuckDB alone) reads */
  jsonFiles: string[]
  jsonBytes: number
  entries: number
  /** entries with a track: what the import stores */
  rows: number
  podcasts: number
  shortPlays: number
  /** rows that repeat the row before them */
  repeats: number
  /** seconds it took to generate (0 when it came from the cache) */
  generatedSeconds: number
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z')

/**
 * The plays as export entries, in time order. Start times are strictly increasing and never shared, so the only
 * duplicate plays are the deliberate repeats; the first pass of every twelfth-or-so play walks through every track,
 * so every track, album and artist of the world is played at least once.
 */
function * entries (world: World, totals: WorldExport): Generator<Record<string, unknown>> {
  const p = world.params
  const rnd = random(p.seed + 1)
  const pickArtist = zipf(p.artists, rnd)
  const byArtist = tracksByArtist(world)
  const start = Date.UTC(p.firstYear, 0, 1)
  const gap = Math.floor((Date.UTC(p.firstYear + p.years, 0, 1) - start - maxPlayMs) / p.plays)
  let covered = 0
  let previous: Record<string, unknown> | undefined
  for (let i = 0; i < p.plays; i++) {
    if (i % repeatEvery === repeatEvery - 1 && previous?.spotify_track_uri) {
      totals.repeats++
      totals.rows++
      if ((previous.ms_played as number) < minPlayMs) totals.shortPlays++
      yield previous
      continue
    }
    const startMs = start + i * gap + Math.floor(rnd() * (gap - 1))
    let msPlayed = rnd() < shortPlayShare ? Math.floor(rnd() * minPlayMs) : minPlayMs + Math.floor(rnd() * (maxPlayMs - minPlayMs))
    // ts is whole seconds: the play is lengthened to the next second, so its start stays exactly startMs.
    const endSeconds = Math.ceil((startMs + msPlayed) / 1000)
    msPlayed = endSeconds * 1000 - startMs
    const ts = isoSeconds(endSeconds * 1000)
    const common = {
      ts,
      platform: platforms[i % platforms.length],
      ms_played: msPlayed,
      conn_country: countries[i % countries.length],
      ip_addr: 'x.x.x.x',
    }
    if (rnd() < podcastShare) {
      totals.podcasts++
      previous = undefined
      yield {
        ...common,
        master_metadata_track_name: null,
        master_metadata_album_artist_name: null,
        master_metadata_album_album_name: null,
        spotify_track_uri: null,
        episode_name: `Episode ${i % 300}`,
        episode_show_name: 'A Show',
        spotify_episode_uri: 'spotify:episode:0Q86acNRm6V9GYx55SXKwf',
        audiobook_title: null,
        audiobook_uri: null,
        audiobook_chapter_uri: null,
        audiobook_chapter_title: null,
        reason_start: 'clickrow',
        reason_end: 'endplay',
        shuffle: false,
        skipped: false,
        offline: false,
        offline_timestamp: endSeconds,
        incognito_mode: false,
      }
      continue
    }
    // Every track once (spread over the years), the rest by artist popularity.
    const coverAt = Math.floor((covered * p.plays) / world.tracks.length)
    let t: number
    if (covered < world.tracks.length && i >= coverAt) {
      t = covered++
    } else {
      const own = byArtist[pickArtist()]!
      t = own[Math.floor(rnd() * own.length)]!
    }
    const track = world.tracks[t]!
    const album = world.albums[track.album]!
    const short = msPlayed < minPlayMs
    totals.rows++
    if (short) totals.shortPlays++
    previous = {
      ...common,
      master_metadata_track_name: track.name,
      master_metadata_album_artist_name: world.artists[track.artists[0]!]!.name,
      master_metadata_album_album_name: album.name,
      spotify_track_uri: `spotify:track:${track.id}`,
      episode_name: null,
      episode_show_name: null,
      spotify_episode_uri: null,
      audiobook_title: null,
      audiobook_uri: null,
      audiobook_chapter_uri: null,
      audiobook_chapter_title: null,
      reason_start: rnd() < 0.7 ? 'trackdone' : 'clickrow',
      reason_end: short ? 'fwdbtn' : 'trackdone',
      shuffle: rnd() < 0.4,
      skipped: short,
      offline: false,
      offline_timestamp: endSeconds,
      incognito_mode: false,
    }
    yield previous
  }
}

function cacheDir (world: World): string {
  const key = createHash('sha256').update(JSON.stringify({ generatorVersion, params: world.params, places: world.places.length })).digest('hex').slice(0, 16)
  return path.join(os.tmpdir(), 'tracklake-bench-cache', key)
}

/**
 * The world's plays as a Spotify export zip (one audio file per 16,000 entries, the video history, the PDF), and the
 * same audio files extracted beside it. Generated once per world and kept under the system temp folder.
 */
export async function worldExport (world: World, progress: (message: string) => void): Promise<WorldExport> {
  const dir = cacheDir(world)
  const summary = path.join(dir, 'export.json')
  if (existsSync(summary)) return { ...JSON.parse(await fs.readFile(summary, 'utf8')) as WorldExport, generatedSeconds: 0 }

  progress(`generating the export of ${world.params.plays.toLocaleString('en-US')} plays (cached for later runs)`)
  const started = Date.now()
  await fs.rm(dir, { recursive: true, force: true })
  await fs.mkdir(path.join(dir, 'json'), { recursive: true })
  const totals: WorldExport = { zipFile: path.join(dir, 'my_spotify_data.zip'), zipBytes: 0, jsonFiles: [], jsonBytes: 0, entries: 0, rows: 0, podcasts: 0, shortPlays: 0, repeats: 0, generatedSeconds: 0 }
  const zip = new yazl.ZipFile()
  const out = createWriteStream(totals.zipFile)
  zip.outputStream.pipe(out)
  let batch: Array<Record<string, unknown>> = []
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    const year = String(batch[0]!.ts).slice(0, 4)
    const name = `Streaming_History_Audio_${year}_${totals.jsonFiles.length}.json`
    // Spotify's files are indented JSON.
    const text = Buffer.from(JSON.stringify(batch, null, 2))
    const file = path.join(dir, 'json', name)
    await fs.writeFile(file, text)
    totals.jsonFiles.push(file)
    totals.jsonBytes += text.length
    zip.addBuffer(text, `${folder}/${name}`)
    batch = []
  }
  for (const entry of entries(world, totals)) {
    batch.push(entry)
    totals.entries++
    if (batch.length === entriesPerFile) await flush()
  }
  await flush()
  const video = [{ ts: '2020-05-01T20:00:00Z', platform: 'android', ms_played: 5000, conn_country: 'DE' }]
  zip.addBuffer(Buffer.from(JSON.stringify(video, null, 2)), `${folder}/Streaming_History_Video_2020.json`)
  zip.addBuffer(Buffer.from('%PDF-1.4\n% tracklake bench placeholder\n'), `${folder}/ReadMeFirst_ExtendedStreamingHistory.pdf`)
  zip.end()
  await once(out, 'close')
  totals.zipBytes = out.bytesWritten
  totals.generatedSeconds = (Date.now() - started) / 1000
  await fs.writeFile(summary, JSON.stringify(totals))
  return totals
}

/** Audio files and ignored files the import must report for a world export. */
export const ignoredExportFiles = 2
