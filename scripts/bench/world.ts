import { createReadStream } from 'node:fs'
import readline from 'node:readline'
import { defaultGazetteerFile } from '../../src/stages/geography/gazetteer.ts'
import { spotifyId } from '../../test/fakes/fake-spotify.ts'
import { mulberry32 } from '../../test/helpers/random.ts'

/**
 * One generated world for the whole Daily ETL bench: a listener's ten years of plays and the catalog behind them, as
 * Spotify, MusicBrainz and a geocoder know it. Everything is derived from the parameters and a seed, so every run
 * (and the cached export) is the same. Track t is on album t mod albums; album b is by artist b mod artists; every
 * seventh track also credits the next artist. Artists live in real places (GeoNames' cities500), a few big cities
 * hold most of them, and a few artists get most of the plays (Zipf).
 */
export interface WorldParams {
  plays: number
  firstYear: number
  years: number
  artists: number
  albums: number
  tracks: number
  /** every MusicBrainz area the artists need: cities, their counties, subdivisions and countries */
  areas: number
  /** artists MusicBrainz links to their Spotify URL; the others are found by ISRC */
  linkedShare: number
  /** one artist in this many is unknown to MusicBrainz (a miss for the failure memory) */
  unknownEvery: number
  seed: number
}

export const fullWorld: WorldParams = {
  plays: 1_000_000,
  firstYear: 2016,
  years: 10,
  artists: 20_000,
  albums: 40_000,
  tracks: 60_000,
  areas: 3_000,
  linkedShare: 0.8,
  unknownEvery: 50,
  seed: 20_160_101,
}

/** `--small`: the same code paths on a lake a CI run gets through in seconds. */
export const smallWorld: WorldParams = {
  ...fullWorld,
  plays: 10_000,
  years: 2,
  artists: 150,
  albums: 200,
  tracks: 400,
  areas: 40,
}

/** The bench's seeded generator. */
export const random = mulberry32

const firstWords = ['Amber', 'Silver', 'Hollow', 'Velvet', 'Paper', 'Golden', 'Midnight', 'Electric', 'Quiet', 'Wild', 'Neon', 'Crystal', 'Broken', 'Northern', 'Lunar', 'Scarlet', 'Iron', 'Glass', 'Young', 'Old', 'Little', 'Big', 'Blue', 'Black', 'White', 'Red', 'Green', 'Ghost', 'Honey', 'Salt', 'Stone', 'Summer', 'Winter', 'Autumn', 'Spring', 'Atomic', 'Cosmic', 'Secret', 'Lost', 'Happy', 'Sad', 'Tiny', 'Giant', 'Lazy', 'Rapid', 'Gentle', 'Savage', 'Royal', 'Rusty', 'Frozen', 'Burning', 'Sleepy', 'Dusty', 'Shiny', 'Hidden', 'Distant', 'Mellow', 'Bitter', 'Sweet', 'Static', 'Sonic', 'Solar', 'Polar', 'Tidal', 'Urban', 'Rural', 'Modern', 'Ancient', 'Future', 'Fading', 'Rising', 'Falling', 'Dancing', 'Howling', 'Singing', 'Silent', 'Loud', 'Vivid', 'Pale', 'Dark', 'Bright', 'Cold', 'Warm', 'Soft', 'Hard', 'Heavy', 'Light', 'Fast', 'Slow', 'Deep', 'High', 'Low', 'Early', 'Late', 'Rare', 'Strange', 'Lucky', 'Proud', 'Brave', 'Calm']
const secondWords = ['Harbour', 'Foxes', 'Machines', 'Rivers', 'Lanterns', 'Parade', 'Orchestra', 'Collective', 'Sisters', 'Brothers', 'Engines', 'Wolves', 'Birds', 'Pilots', 'Sailors', 'Tigers', 'Owls', 'Bears', 'Ravens', 'Hearts', 'Ghosts', 'Kings', 'Queens', 'Giants', 'Strangers', 'Lovers', 'Dreamers', 'Drifters', 'Runners', 'Riders', 'Mountains', 'Valleys', 'Oceans', 'Islands', 'Forests', 'Deserts', 'Cities', 'Streets', 'Gardens', 'Towers', 'Bridges', 'Castles', 'Comets', 'Planets', 'Stars', 'Moons', 'Suns', 'Clouds', 'Storms', 'Waves', 'Echoes', 'Shadows', 'Mirrors', 'Windows', 'Doors', 'Keys', 'Bells', 'Drums', 'Strings', 'Horns', 'Voices', 'Choir', 'Band', 'Trio', 'Quartet', 'Club', 'Society', 'Union', 'League', 'Circus', 'Carnival', 'Factory', 'Workshop', 'Laboratory', 'Academy', 'Institute', 'Assembly', 'Committee', 'Council', 'Republic', 'Empire', 'Kingdom', 'Nation', 'Tribe', 'Family', 'Gang', 'Crew', 'Army', 'Navy', 'Fleet', 'Signal', 'Station', 'Transit', 'Motel', 'Hotel', 'Diner', 'Theatre', 'Cinema', 'Radio', 'Television', 'Telephone', 'Telegraph', 'Satellite', 'Rocket', 'Saucer', 'Robot', 'Android', 'Cyborg', 'Wizard', 'Witches', 'Monks', 'Saints', 'Sinners', 'Angels', 'Demons', 'Heroes', 'Villains', 'Outlaws', 'Sheriffs', 'Cowboys', 'Pirates', 'Ninjas', 'Samurai', 'Knights', 'Dragons', 'Unicorns', 'Mermaids', 'Sirens', 'Nymphs', 'Elves', 'Dwarves', 'Trolls', 'Goblins', 'Orcs', 'Hobbits', 'Gnomes', 'Fairies', 'Pixies', 'Sprites', 'Spirits', 'Phantoms', 'Spectres', 'Wraiths', 'Zombies', 'Vampires', 'Werewolves', 'Mummies', 'Skeletons', 'Bones', 'Skulls', 'Roses', 'Lilies', 'Daisies', 'Tulips', 'Orchids', 'Violets', 'Poppies', 'Thorns', 'Leaves', 'Branches', 'Roots', 'Seeds', 'Fruits', 'Apples', 'Cherries', 'Lemons', 'Oranges', 'Peaches', 'Plums', 'Berries', 'Grapes', 'Melons', 'Figs', 'Dates', 'Olives', 'Pearls', 'Diamonds', 'Rubies', 'Emeralds', 'Sapphires', 'Opals', 'Jewels', 'Coins', 'Crowns', 'Thrones', 'Swords', 'Shields', 'Arrows', 'Spears', 'Axes', 'Hammers', 'Anvils', 'Furnaces', 'Ashes', 'Embers', 'Flames', 'Sparks', 'Fireflies', 'Moths', 'Bees', 'Ants', 'Spiders', 'Beetles', 'Crickets']
const genreNames = ['indie rock', 'indie pop', 'synthpop', 'dream pop', 'shoegaze', 'post-punk', 'new wave', 'alternative rock', 'folk', 'indie folk', 'americana', 'country', 'bluegrass', 'jazz', 'bebop', 'soul', 'funk', 'disco', 'house', 'deep house', 'techno', 'minimal techno', 'trance', 'drum and bass', 'dubstep', 'ambient', 'downtempo', 'trip hop', 'hip hop', 'trap', 'r&b', 'neo soul', 'reggae', 'dub', 'ska', 'punk', 'hardcore punk', 'metal', 'black metal', 'doom metal', 'classical', 'baroque', 'opera', 'k-pop', 'j-pop', 'city pop', 'bossa nova', 'samba', 'afrobeat', 'highlife']

export interface WorldArtist {
  id: string
  name: string
  /** Spotify's genres for it */
  genres: string[]
  mbid: string
  linked: boolean
  /** unknown to MusicBrainz: no URL relation, no recording, no namesake */
  unknown: boolean
  /** index into `places` */
  city: number
  beginCity: number | null
}

export interface WorldAlbum {
  id: string
  name: string
  artist: number
  releaseYear: number
}

export interface WorldTrack {
  id: string
  name: string
  album: number
  artists: number[]
  isrc: string
  durationMs: number
}

/** A real place (GeoNames cities500) and the MusicBrainz areas above it. */
export interface Place {
  name: string
  countryCode: string
  /** GeoNames admin1: the state in the US */
  admin1: string
  lat: number
  lon: number
  /** this place sits in a county of its own (one more area to walk) */
  county: boolean
}

export interface World {
  params: WorldParams
  artists: WorldArtist[]
  albums: WorldAlbum[]
  tracks: WorldTrack[]
  places: Place[]
  /** distinct countries and (country, admin1) subdivisions of the places */
  countries: string[]
  subdivisions: Array<{ countryCode: string, admin1: string }>
  /** every area: places, counties, subdivisions, countries */
  areaCount: number
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/** An ISRC shaped like a real one: country, registrant, year, designation. */
const isrcOf = (t: number): string => `QZB${pad(Math.floor(t / 100_000) % 100, 2)}16${pad(t % 100_000, 5)}`

/** Real places from cities500: populated places of 15,000+ people, at most one per name and country, spread over countries. */
async function readPlaces (wanted: number, rnd: () => number): Promise<{ places: Place[], countries: string[], subdivisions: Array<{ countryCode: string, admin1: string }>, areaCount: number }> {
  const lines = readline.createInterface({ input: createReadStream(defaultGazetteerFile(), 'utf8'), crlfDelay: Infinity })
  const candidates: Place[] = []
  const seen = new Set<string>()
  for await (const line of lines) {
    const f = line.split('\t')
    const [name, lat, lon, featureCode, country, admin1, population] = [f[1]!, Number(f[4]), Number(f[5]), f[7]!, f[8]!, f[10]!, Number(f[14])]
    if (population < 15_000 || /^PPL[HQW]$/.test(featureCode) || name.includes(',') || !/^[A-Z]{2}$/.test(country)) continue
    if (country === 'US' && !/^[A-Z]{2}$/.test(admin1)) continue
    const key = `${name.toLowerCase()}|${country}|${country === 'US' ? admin1 : ''}`
    if (seen.has(key)) continue
    seen.add(key)
    candidates.push({ name, countryCode: country, admin1, lat, lon, county: false })
  }
  lines.close()
  // A deterministic shuffle, then places are taken until the areas they need (with their parents) reach `wanted`.
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!]
  }
  const places: Place[] = []
  const countries = new Set<string>()
  const subdivisions = new Map<string, { countryCode: string, admin1: string }>()
  let areaCount = 0
  for (const candidate of candidates) {
    const subdivision = `${candidate.countryCode}-${candidate.admin1}`
    const county = places.length % 5 === 4
    const cost = 1 + (county ? 1 : 0) + (subdivisions.has(subdivision) ? 0 : 1) + (countries.has(candidate.countryCode) ? 0 : 1)
    if (areaCount + cost > wanted) continue
    places.push({ ...candidate, county })
    countries.add(candidate.countryCode)
    subdivisions.set(subdivision, { countryCode: candidate.countryCode, admin1: candidate.admin1 })
    areaCount += cost
    if (areaCount === wanted) break
  }
  return { places, countries: [...countries], subdivisions: [...subdivisions.values()], areaCount }
}

export async function createWorld (params: WorldParams): Promise<World> {
  const rnd = random(params.seed)
  const { places, countries, subdivisions, areaCount } = await readPlaces(params.areas, rnd)
  // Big cities hold many artists: a squared draw favours the first places; every place has at least one artist.
  const pickPlace = (): number => Math.floor(places.length * rnd() ** 2)
  const linkedPer10 = Math.round(params.linkedShare * 10)
  const artists: WorldArtist[] = Array.from({ length: params.artists }, (_, a) => {
    const name = `${firstWords[a % firstWords.length]!} ${secondWords[Math.floor(a / firstWords.length) % secondWords.length]!}${a >= firstWords.length * secondWords.length ? ` ${Math.floor(a / (firstWords.length * secondWords.length)) + 1}` : ''}`
    const unknown = a % params.unknownEvery === params.unknownEvery - 1
    return {
      id: spotifyId(`bench-artist-${a}`),
      name,
      genres: [genreNames[Math.floor(genreNames.length * rnd() ** 2)]!, genreNames[(a * 7) % genreNames.length]!].filter((g, i, all) => all.indexOf(g) === i),
      mbid: '',
      linked: !unknown && a % 10 < linkedPer10,
      unknown,
      city: a < places.length ? a : pickPlace(),
      beginCity: rnd() < 0.3 ? pickPlace() : null,
    }
  })
  const albums: WorldAlbum[] = Array.from({ length: params.albums }, (_, b) => ({
    id: spotifyId(`bench-album-${b}`),
    name: `${secondWords[b % secondWords.length]!} of ${firstWords[Math.floor(b / secondWords.length) % firstWords.length]!} ${Math.floor(b / (firstWords.length * secondWords.length)) + 1}`,
    artist: b % params.artists,
    releaseYear: 1970 + (b % 56),
  }))
  const tracks: WorldTrack[] = Array.from({ length: params.tracks }, (_, t) => {
    const album = t % params.albums
    const artist = albums[album]!.artist
    return {
      id: spotifyId(`bench-track-${t}`),
      name: `${firstWords[(t * 13) % firstWords.length]!} ${secondWords[(t * 7) % secondWords.length]!} No. ${t}`,
      album,
      artists: t % 7 === 6 ? [artist, (artist + 1) % params.artists] : [artist],
      isrc: isrcOf(t),
      durationMs: 120_000 + (t * 7919) % 240_000,
    }
  })
  return { params, artists, albums, tracks, places, countries, subdivisions, areaCount }
}

/** The tracks of each artist as album artist: what a play of that artist picks from. */
export function tracksByArtist (world: World): number[][] {
  const byArtist: number[][] = Array.from({ length: world.params.artists }, () => [])
  world.tracks.forEach((track, t) => byArtist[track.artists[0]!]!.push(t))
  return byArtist
}

/** A Zipf draw over n ranks (rank 0 most likely): the few artists that get most plays. */
export function zipf (n: number, rnd: () => number, exponent = 1): () => number {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1) ** exponent
    cdf[i] = sum
  }
  return () => {
    const x = rnd() * sum
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cdf[mid]! < x) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
