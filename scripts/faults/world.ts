// The service on a temp lake with fake upstreams on 127.0.0.1, and the data the scenarios feed it.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createFakeListenBrainz, type FakeListenBrainz } from '../../test/fakes/fake-listenbrainz.ts'
import { createFakeMusicBrainz, type FakeMusicBrainz } from '../../test/fakes/fake-musicbrainz.ts'
import { createFakeOpenWeather, type FakeOpenWeather } from '../../test/fakes/fake-openweather.ts'
import { createFakeSpotify, seedCatalog, spotifyId, type FakeSpotify } from '../../test/fakes/fake-spotify.ts'
import { exportEntry, exportZip } from '../../test/helpers/export.ts'
import { spotifyEnv } from '../../test/helpers/build-app.ts'
import { ok, type Answer, type Body } from '../lib/http.ts'
import { createLakeReader, readThroughService, type LakeReader, type TableKey } from '../lib/lake-integrity.ts'
import { makeTempDir, restartService, startService, type Service } from '../lib/service.ts'
import type { Section } from './suite.ts'

export interface WorldSpec {
  /** Spotify catalog artists (one album, one track each); 0 for no fake Spotify */
  spotifyArtists?: number
  /** Extended Quota: ?ids= batch endpoints (fetches of many ids are quick) */
  batchEndpoints?: boolean
  listenbrainz?: boolean
  /** a fake MusicBrainz at 50 requests/s (the service is set to the same rate) */
  musicbrainz?: boolean
  /** a fake OpenWeather, and GEOCODER=openweather */
  openweather?: boolean
  /** a data directory to use (a mount, say) instead of a new temp folder */
  dataDir?: string
  env?: Record<string, string>
}

export interface World {
  service: Service
  readonly dir: string
  spotify?: FakeSpotify
  catalog?: ReturnType<typeof seedCatalog>
  listenbrainz?: FakeListenBrainz
  musicbrainz?: FakeMusicBrainz
  openweather?: FakeOpenWeather
  reader: LakeReader
  /** every lake table with its key, as GET /v1/tables lists them */
  tables: TableKey[]
  /** error and fatal lines of every service this world ran, restarts included */
  errors (): string[]
  restart (): Promise<Service>
  close (): Promise<void>
}

export async function createWorld (name: string, spec: WorldSpec = {}): Promise<World> {
  const dir = await makeTempDir(`faults-${name}`)
  // The suite restarts the service a hundred times: V8's code cache on disk saves a third of each start.
  const env: Record<string, string> = {
    NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'tracklake-faults-compile-cache'),
    // FAULTS_LOG_LEVEL=info keeps the services' info lines too (in failures' messages): for chasing a violation.
    ...(process.env.FAULTS_LOG_LEVEL ? { LOG_LEVEL: process.env.FAULTS_LOG_LEVEL } : {}),
    ...spec.env,
  }
  let spotify: FakeSpotify | undefined
  let catalog: ReturnType<typeof seedCatalog> | undefined
  if (spec.spotifyArtists) {
    spotify = await createFakeSpotify({ batchEndpoints: spec.batchEndpoints ?? false })
    catalog = seedCatalog(spotify, { artists: spec.spotifyArtists, tracksPerArtist: 1, devMode: !spec.batchEndpoints })
    Object.assign(env, spotifyEnv(spotify.url), spec.batchEndpoints ? { SPOTIFY_BATCH_ENDPOINTS: 'on' } : {})
  }
  let listenbrainz: FakeListenBrainz | undefined
  if (spec.listenbrainz) {
    listenbrainz = await createFakeListenBrainz({ user: 'fault-fan' })
    Object.assign(env, { LISTENBRAINZ_URL: listenbrainz.url, LISTENBRAINZ_USER: 'fault-fan' })
  }
  let musicbrainz: FakeMusicBrainz | undefined
  if (spec.musicbrainz) {
    musicbrainz = await createFakeMusicBrainz({ ratePerSec: 50 })
    Object.assign(env, { MUSICBRAINZ_URL: musicbrainz.url, MUSICBRAINZ_CONTACT: 'faults@tracklake.test', MUSICBRAINZ_RATE_PER_SEC: '50' })
  }
  let openweather: FakeOpenWeather | undefined
  if (spec.openweather) {
    openweather = await createFakeOpenWeather()
    Object.assign(env, { GEOCODER: 'openweather', OPENWEATHER_URL: openweather.url, OPENWEATHER_API_KEY: openweather.apiKey })
  }
  Object.assign(env, spec.env)
  const reader = await createLakeReader()
  const dataDir = spec.dataDir ?? path.join(dir, 'data')
  const earlier: string[] = []
  const world: World = {
    service: await startService(dataDir, env),
    dir,
    spotify,
    catalog,
    listenbrainz,
    musicbrainz,
    openweather,
    reader,
    tables: [],
    async restart () {
      await world.service.kill()
      earlier.push(...errorLines(world.service))
      world.service = await restartService(world.service)
      return world.service
    },
    errors: () => [...earlier, ...errorLines(world.service)],
    async close () {
      await world.service.stop()
      await spotify?.close()
      await listenbrainz?.close()
      await musicbrainz?.close()
      await openweather?.close()
      reader.close()
      await fs.rm(dir, { recursive: true, force: true })
    },
  }
  world.tables = (await readThroughService(world.service.url, { headers: world.service.headers })).tables
  return world
}

const errorLines = (service: Service): string[] => service.logs.filter((l) => /^(error|fatal)/.test(l))

/** Waits until no write the service runs by itself (the plays refill) is pending: reading the plays waits for it. */
export async function settle (service: Service): Promise<void> {
  await ok(service.url, 'GET', '/v1/tables/tracks_played?limit=1', undefined, { headers: service.headers })
}

/** Export entries: `count` plays of the catalog's tracks, one every 4 minutes from `startMs`, each ending at its ts. */
export function exportPlays (trackIds: readonly string[], startMs: number, count: number, names = (i: number) => `Song ${i}`): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    const track = i % trackIds.length
    return exportEntry({
      ts: new Date(startMs + i * 240_000).toISOString().replace('.000Z', 'Z'),
      ms_played: 180_000,
      spotify_track_uri: `spotify:track:${trackIds[track]}`,
      master_metadata_track_name: names(track),
      master_metadata_album_artist_name: `Artist ${track}`,
      master_metadata_album_album_name: `Album ${track}`,
    })
  })
}

/** The body of an import: a zip of one audio file, or the file alone as JSON. */
export async function importBody (entries: unknown[], file: string, zip: boolean, dir: string): Promise<{ path: string, body: Body }> {
  if (!zip) return { path: `/v1/ingest/streaming-history?file=${file}`, body: { json: entries } }
  const zipFile = path.join(dir, `${file}.zip`)
  await fs.writeFile(zipFile, await exportZip({ [`Spotify Extended Streaming History/${file}`]: entries }))
  return { path: '/v1/ingest/streaming-history', body: { file: zipFile, contentType: 'application/zip' } }
}

/** Spotify-style ids of tracks the fake catalog does not hold (records for them are posted by hand). */
export const syntheticId = (kind: string, n: number): string => spotifyId(`faults-${kind}-${n}`)

/** A call whose answer must be 200: anything else is a violation of `name` (and answers undefined). */
export async function must (section: Section, name: string, service: Service, method: string, route: string, body?: Body): Promise<Answer | undefined> {
  const answer = await section.call(name, service, method, route, body)
  if (answer.status !== 200) {
    section.violation(name, `${method} ${route} answered ${answer.status}: ${answer.text.slice(0, 300)}`)
    return undefined
  }
  return answer
}

/**
 * One play of every catalog track, imported, and every track resolved by a hand-posted record (no Spotify calls):
 * the artists plan then sees every catalog artist, the albums plan every album.
 */
export async function seedResolvedPlays (section: Section, name: string, world: World, startMs = Date.UTC(2019, 0, 1)): Promise<void> {
  const tracks = [...world.spotify!.tracks.values()]
  const entries = exportPlays(tracks.map((t) => t.id), startMs, tracks.length, (i) => tracks[i]!.name)
  const { path: route, body } = await importBody(entries, 'Streaming_History_Audio_seed.json', false, world.dir)
  await must(section, name, world.service, 'POST', route, body)
  const records = tracks.map((t) => ({
    track_id: t.id,
    track_name: t.name,
    artist_id: t.artists[0].id,
    artist_name: t.artists[0].name,
    album_id: t.album.id,
    album_name: t.album.name,
    fetched_at: '2026-01-01T00:00:00.000Z',
  }))
  for (let at = 0; at < records.length; at += 500) {
    await must(section, name, world.service, 'POST', '/v1/spotify/tracks/write', { json: { records: records.slice(at, at + 500) } })
  }
  await settle(world.service)
}

/** plan → fetch → write over every batch of a granular step (`prefix` like /v1/spotify/artists), as n8n drives it. */
export async function drainGranular (section: Section, name: string, service: Service, prefix: string, plan: Record<string, unknown> = {}): Promise<void> {
  const planned = await must(section, name, service, 'POST', `${prefix}/plan`, { json: plan })
  for (const b of planned?.body.batches ?? []) {
    const fetched = await must(section, name, service, 'POST', `${prefix}/fetch`, { json: { planId: b.planId, offset: b.offset, limit: b.limit } })
    if (fetched) await must(section, name, service, 'POST', `${prefix}/write`, { json: { records: fetched.body.records, failures: fetched.body.failures, planId: b.planId, offset: b.offset } })
  }
}

/** A time-boxed simple step, called until it answers done. */
export async function drainSimple (section: Section, name: string, service: Service, route: string, body: Record<string, unknown> = { maxSeconds: 30 }): Promise<void> {
  for (let calls = 0; calls < 50; calls++) {
    const answer = await must(section, name, service, 'POST', route, { json: body })
    if (!answer || answer.body.done !== false) return
  }
  section.violation(name, `${route} was not done after 50 calls`)
}

/** Prints the distinct error lines the world's services logged (they explain a violation; they are not one). */
export function logErrors (section: Section, name: string, world: World): void {
  const errors = [...new Set(world.errors())]
  if (errors.length > 0) section.log(`${name}: the services logged ${errors.length} distinct errors: ${errors.slice(0, 3).join(' | ').slice(0, 1500)}`)
}
