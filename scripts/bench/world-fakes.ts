import { countries as countryList } from 'countries-list'
import { iso31662 } from 'iso-3166'
import { createFakeMusicBrainz, defaultGenres, mbid, type FakeArea, type FakeMusicBrainz } from '../../test/fakes/fake-musicbrainz.ts'
import { createFakeOpenWeather, openWeatherBodies, type FakeOpenWeather } from '../../test/fakes/fake-openweather.ts'
import type { FakeServer, Matcher } from '../../test/fakes/fake-server.ts'
import { createFakeSpotify, makeAlbum, makeArtist, makeTrack, type FakeSpotify } from '../../test/fakes/fake-spotify.ts'
import type { Place, World } from './world.ts'

/**
 * The fakes of the Daily ETL bench, seeded from one world, each held to its real service's rate rule:
 * - Spotify publishes no numbers, only a rolling 30 s window and a 429 with Retry-After beyond it. The fake allows
 *   what the service's own Spotify budget asks for (20 requests/s, `http/limiters.ts`): 600 per rolling 30 s.
 * - MusicBrainz: one rate per client, 503 for every request beyond it (the fake's GCRA rule).
 * - OpenWeather's free plan: 60 calls a minute, 429 "account temporarily blocked" beyond.
 */
export const spotifyWindow = { limit: 600, windowMs: 30_000 }
export const openWeatherPerMinute = 60

export interface RateGate {
  /** requests refused for the rate */
  readonly refused: number
  /** allowed requests per second, for utilisation */
  readonly perSecond: number
}

/**
 * Holds the requests a fake server sees to `limit` per rolling `windowMs` (those matching `match`): beyond it the fake
 * answers `status` with a Retry-After saying when the window has room again. Built on the fake's fault hook, so the
 * fakes themselves stay as the tests use them.
 */
export function rateGate (server: FakeServer, options: { match: Matcher, limit: number, windowMs: number, status: number, json: unknown }): RateGate {
  const times: number[] = []
  let refused = 0
  let retryAfter = 1
  const applies = (request: Parameters<Exclude<Matcher, string | RegExp>>[0]): boolean =>
    typeof options.match === 'string' ? request.path.includes(options.match) : options.match instanceof RegExp ? options.match.test(request.path) : options.match(request)
  server.fault((request) => {
    if (!applies(request)) return false
    const now = Date.now()
    while (times.length > 0 && times[0]! <= now - options.windowMs) times.shift()
    if (times.length < options.limit) {
      times.push(now)
      return false
    }
    refused++
    retryAfter = Math.max(1, Math.ceil((times[0]! + options.windowMs - now) / 1000))
    return true
  }, {
    kind: 'status',
    status: options.status,
    json: options.json,
    get retryAfter () { return retryAfter },
  }, Number.POSITIVE_INFINITY)
  return { get refused () { return refused }, perSecond: options.limit / (options.windowMs / 1000) }
}

/** A catalog map that makes each entity when asked: a 80,000-track catalog never sits in memory as objects. */
class LazyCatalog extends Map<string, Record<string, unknown>> {
  private readonly index: Map<string, number>
  private readonly make: (n: number) => Record<string, unknown>

  constructor (ids: string[], make: (n: number) => Record<string, unknown>) {
    super()
    this.index = new Map(ids.map((id, n) => [id, n]))
    this.make = make
  }

  override get (id: string): Record<string, unknown> | undefined {
    const n = this.index.get(id)
    return n === undefined ? undefined : this.make(n)
  }

  override has (id: string): boolean {
    return this.index.has(id)
  }

  override get size (): number {
    return this.index.size
  }
}

export interface SpotifyFake {
  fake: FakeSpotify
  gate: RateGate
  /** catalog calls (not token calls) so far */
  calls (): number
}

export async function worldSpotify (world: World): Promise<SpotifyFake> {
  const fake = await createFakeSpotify({ batchEndpoints: true })
  const ref = (a: number): { id: string, name: string } => ({ id: world.artists[a]!.id, name: world.artists[a]!.name })
  fake.artists = new LazyCatalog(world.artists.map((a) => a.id), (n) => makeArtist(world.artists[n]!.id, world.artists[n]!.name, world.artists[n]!.genres))
  fake.albums = new LazyCatalog(world.albums.map((b) => b.id), (n) => {
    const album = world.albums[n]!
    return { ...makeAlbum(album.id, album.name, [ref(album.artist)]), release_date: String(album.releaseYear), release_date_precision: 'year' }
  })
  fake.tracks = new LazyCatalog(world.tracks.map((t) => t.id), (n) => {
    const track = world.tracks[n]!
    const album = world.albums[track.album]!
    return makeTrack(track.id, track.name, track.artists.map(ref), { id: album.id, name: album.name }, track.isrc, track.durationMs)
  })
  const gate = rateGate(fake.server, { match: '/v1/', limit: spotifyWindow.limit, windowMs: spotifyWindow.windowMs, status: 429, json: { error: { status: 429, message: 'API rate limit exceeded' } } })
  return { fake, gate, calls: () => fake.catalogCalls() }
}

const countryName = (code: string): string => (countryList as Record<string, { name: string } | undefined>)[code]?.name ?? `Country ${code}`
const subdivisionNames = new Map(iso31662.map((s) => [s.code, s.name]))

export interface MusicBrainzFake {
  fake: FakeMusicBrainz
  /** every area a hierarchy walk of the world's artists must fetch: their places and all ancestors */
  areaIds: Set<string>
  /** the areas and begin areas of the artists themselves: the rows of mbz_area_hierarchy */
  ownAreas: Set<string>
  /** artists MusicBrainz knows (the others end as misses) */
  known: number
}

/** The world in the fake MusicBrainz: areas from country to city, artists (linked or found by ISRC), recordings. */
export async function worldMusicBrainz (world: World, options: { ratePerSec: number, toleranceMs: number }): Promise<MusicBrainzFake> {
  const fake = await createFakeMusicBrainz({ ratePerSec: options.ratePerSec, toleranceMs: options.toleranceMs })
  const countries = new Map<string, FakeArea>()
  for (const code of world.countries) {
    countries.set(code, fake.addArea({ id: mbid(`bench-country:${code}`), name: countryName(code), type: 'Country', iso1: [code] }))
  }
  const subdivisions = new Map<string, FakeArea>()
  for (const { countryCode, admin1 } of world.subdivisions) {
    const code = `${countryCode}-${admin1}`
    subdivisions.set(code, fake.addArea({ id: mbid(`bench-subdivision:${code}`), name: subdivisionNames.get(code) ?? `${countryName(countryCode)} region ${admin1}`, type: 'Subdivision', iso2: [code], parent: countries.get(countryCode)! }))
  }
  const places = world.places.map((place: Place, p) => {
    const subdivision = subdivisions.get(`${place.countryCode}-${place.admin1}`)!
    const parent = place.county ? fake.addArea({ id: mbid(`bench-county:${p}`), name: `${place.name} County`, type: 'County', parent: subdivision }) : subdivision
    return fake.addArea({ id: mbid(`bench-city:${p}`), name: place.name, type: 'City', parent })
  })

  const areaIds = new Set<string>()
  const ownAreas = new Set<string>()
  const mbArtists = world.artists.map((artist, a) => {
    if (artist.unknown) return undefined
    const area = places[artist.city]!
    const beginArea = artist.beginCity === null ? null : places[artist.beginCity]!
    for (const own of [area, ...(beginArea ? [beginArea] : [])]) {
      ownAreas.add(own.id)
      for (let at: string | undefined = own.id; at && !areaIds.has(at); at = fake.areas.get(at)?.parents[0]?.id) areaIds.add(at)
    }
    const added = fake.addArtist({
      id: mbid(`bench-artist:${a}`),
      name: artist.name,
      type: a % 3 === 0 ? 'Group' : 'Person',
      area,
      beginArea,
      lifeSpan: { begin: String(1950 + (a % 70)) },
      tags: { [defaultGenres[a % defaultGenres.length]!]: 1 + (a % 7), [defaultGenres[(a * 7) % defaultGenres.length]!]: 1 + (a % 3), 'seen live': 1 },
      spotifyId: artist.linked ? artist.id : undefined,
    })
    artist.mbid = added.id
    return added
  })
  // Artists without a URL relation are found by the ISRCs of their tracks.
  world.tracks.forEach((track, t) => {
    if (!track.artists.some((a) => !world.artists[a]!.linked && !world.artists[a]!.unknown)) return
    const credits = track.artists.map((a) => mbArtists[a]).filter((a) => a !== undefined)
    fake.addRecording({ id: mbid(`bench-recording:${t}`), title: track.name, isrcs: [track.isrc], credits })
  })
  // The fake's search analysis is its own cost, not the service's.
  fake.warm()
  return { fake, areaIds, ownAreas, known: mbArtists.filter((a) => a !== undefined).length }
}

export interface OpenWeatherFake {
  fake: FakeOpenWeather
  gate: RateGate
}

const usStateName = (admin1: string): string | undefined => subdivisionNames.get(`US-${admin1}`)

/** The fake OpenWeather knowing the world's places (US states by name, as the real API names them), at 60 a minute. */
export async function worldOpenWeather (places: readonly Place[]): Promise<OpenWeatherFake> {
  const fake = await createFakeOpenWeather({
    places: places.map((p) => ({ name: p.name, lat: p.lat, lon: p.lon, country: p.countryCode, ...(p.countryCode === 'US' ? { state: usStateName(p.admin1) ?? p.admin1 } : {}) })),
    decoys: [],
  })
  const gate = rateGate(fake.server, { match: '/geo/1.0/direct', limit: openWeatherPerMinute, windowMs: 60_000, status: 429, json: openWeatherBodies.blocked })
  return { fake, gate }
}
