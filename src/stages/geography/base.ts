// Geography base enrichment (pure, no network): continent, country code, state code and the geocoding key of one
// mbz_area_hierarchy row.
//
// Country code, first that applies:
//  1. A subdivision whose ISO 3166-2 suffix is the ISO 3166-1 code of a place of the same name is a territory with
//     its own code: "Puerto Rico" US-PR → PR, "Aruba" NL-AW → AW, "Guam" US-GU → GU.
//  2. The ISO 3166-1 code MusicBrainz gives the area nearest to the row's area on its path, else the row's
//     country_code. Territories and dependencies keep their own code and so their own continent (Puerto Rico is PR
//     in North America, Réunion is RE in Africa, Greenland is GL in North America): GeoNames and OpenWeather file
//     their places under that code, so folding them into the sovereign country (as the original did, W11) made both
//     geocoders miss, and put Réunion in Europe.
//  3. The country part of the subdivision's ISO 3166-2 code ("GB" of GB-ENG).
//  4. By name (countries-list's names, native names and aliases, accent- and case-insensitive): the country's name,
//     the island's name, the area's own name for a Country or Island area. Former countries MusicBrainz lists
//     without an ISO 3166-1 code map to the present-day country that holds their last capital (formerCountries).
//  Codes countries-list does not know (MusicBrainz's XE "Europe", XW "[Worldwide]") are no country; a country name
//  that is a continent's ("Europe") still gives the continent.
// Continent: countries-list's main continent of the country (AF, AN, AS, EU, NA, OC, SA), except for the countries
//  it lists on two continents, which follow the UN M49 geoscheme (m49Continents): Russia is EU (countries-list: AS),
//  Turkey, Kazakhstan, Georgia and Azerbaijan AS, Egypt AF, Denmark EU.
// State code: the part after the dash of the subdivision's ISO 3166-2 code (US-OR → OR, GB-ENG → ENG), from the
//  row's subdivision_code, else from the subdivision on the path nearest the country.
// Params, the geocoding key: "City,CC", or "City,ST,US" in the United States when the state is known. The city is
//  the row's city, else its municipality, else its district, cleaned by cleanPlaceName.
import { continents, countries } from 'countries-list'
import { normalisePlaceName } from './place-names.ts'

export type ContinentCode = 'AF' | 'AN' | 'AS' | 'EU' | 'NA' | 'OC' | 'SA'

export interface AreaPathEntry {
  id: string
  type: string | null
  name: string
  iso_3166_1?: string[] | null
  iso_3166_2?: string[] | null
}

export interface AreaHierarchyRow {
  area_id: string
  area_type?: string | null
  area_name?: string | null
  /** From the area up to its country. */
  path?: AreaPathEntry[] | null
  city?: string | null
  municipality?: string | null
  district?: string | null
  county?: string | null
  subdivision?: string | null
  /** ISO 3166-2, e.g. "US-OR". */
  subdivision_code?: string | null
  country?: string | null
  /** ISO 3166-1 alpha-2 from MusicBrainz; null for islands and former countries. */
  country_code?: string | null
  island?: string | null
}

export interface GeographyBase {
  continent: string | null
  continent_code: ContinentCode | null
  country_code: string | null
  state_code: string | null
  params: string | null
}

export interface GeocodingKey {
  city: string
  countryCode: string
  /** Only in the United States. */
  stateCode: string | undefined
}

/**
 * Former countries without an ISO 3166-1 code, each mapped to the present-day country holding its last capital
 * (Moscow, Belgrade, Prague, East Berlin, Bonn, Willemstad, Salisbury/Harare). Former names of present countries
 * (Burma, Zaire, Swaziland) are countries-list aliases already.
 */
export const formerCountries: Readonly<Record<string, string>> = {
  'Soviet Union': 'RU',
  USSR: 'RU',
  Yugoslavia: 'RS',
  Czechoslovakia: 'CZ',
  'East Germany': 'DE',
  'German Democratic Republic': 'DE',
  'West Germany': 'DE',
  'Serbia and Montenegro': 'RS',
  'Netherlands Antilles': 'CW',
  'Kingdom of the Netherlands': 'NL',
  Rhodesia: 'ZW',
}

const knownCodes = new Map(Object.entries(countries))

function knownCode (code: string | null | undefined): string | undefined {
  const upper = code?.trim().toUpperCase()
  return upper !== undefined && /^[A-Z]{2}$/.test(upper) && knownCodes.has(upper) ? upper : undefined
}

let codesByName: Map<string, string> | undefined

function countryNameIndex (): Map<string, string> {
  if (codesByName) return codesByName
  const index = new Map<string, string>()
  const ambiguous = new Set<string>()
  const add = (name: string, code: string) => {
    const key = normalisePlaceName(name).replace(/^the /, '')
    if (key.length === 0 || ambiguous.has(key)) return
    if (index.has(key) && index.get(key) !== code) {
      index.delete(key)
      ambiguous.add(key)
      return
    }
    index.set(key, code)
  }
  for (const [code, country] of knownCodes) {
    for (const name of [country.name, country.native, ...(country.alias ?? [])]) add(name, code)
  }
  for (const [name, code] of Object.entries(formerCountries)) add(name, code)
  codesByName = index
  return index
}

/** ISO 3166-1 alpha-2 for a country's name ("South Korea", "Côte d'Ivoire", "Soviet Union" → RU), if one is known. */
export function countryCodeForName (name: string | null | undefined): string | undefined {
  if (!name) return undefined
  return countryNameIndex().get(normalisePlaceName(name).replace(/^the /, ''))
}

const continentNames = continents as Record<ContinentCode, string>

/**
 * The continent of each country countries-list places on two (its `continents` field), as the UN M49 geoscheme has
 * it (https://unstats.un.org/unsd/methodology/m49/): Russia in Eastern Europe where countries-list says Asia. The
 * others agree with countries-list's main continent today; they are listed so that a new countries-list cannot move
 * them, and a test fails when it names a new transcontinental country.
 */
export const m49Continents: Readonly<Record<string, ContinentCode>> = {
  AZ: 'AS', // Western Asia
  DK: 'EU', // Northern Europe (Greenland is GL, in North America)
  EG: 'AF', // Northern Africa
  GE: 'AS', // Western Asia
  KZ: 'AS', // Central Asia
  RU: 'EU', // Eastern Europe
  TR: 'AS', // Western Asia
}

export function continentOf (countryCode: string | null | undefined): { code: ContinentCode, name: string } | undefined {
  const code = knownCode(countryCode)
  if (code === undefined) return undefined
  const continent = m49Continents[code] ?? knownCodes.get(code)!.continent as ContinentCode
  return { code: continent, name: continentNames[continent] }
}

function continentNamed (name: string | null | undefined): ContinentCode | undefined {
  if (!name) return undefined
  const wanted = normalisePlaceName(name)
  return (Object.keys(continentNames) as ContinentCode[]).find((code) => normalisePlaceName(continentNames[code]) === wanted)
}

// "City of London", "London Borough of Camden", "Royal Borough of Kingston upon Thames", "City and County of Swansea"
const namePrefix = /^(?:(?:London|Royal|Metropolitan|County) )?(?:City and County|City and Borough|City|Town|Village|Municipality|Borough) of\s+/i
// "Copenhagen Municipality", "Gangnam District", "Wigan Metropolitan Borough", "Cherry Hill Township"
const nameSuffix = /\s+(?:Municipality|Municipal District|Urban District|Rural District|District|Metropolitan Borough|Borough|Township)$/i

/**
 * A MusicBrainz area name as geocoders know the place:
 *  - only the part before a comma ("Washington, D.C." → "Washington"): commas separate the fields of params;
 *  - without an administrative prefix ("City of", "Town of", "Village of", "Municipality of", "Borough of",
 *    "London/Royal/Metropolitan/County Borough of", "City and County of") or suffix ("Municipality", "District",
 *    "Municipal/Urban/Rural District", "Borough", "Metropolitan Borough", "Township");
 *  - spaces collapsed.
 * " City" stays ("Mexico City", "Quezon City" are the names), and so does a bracket: "Frankfurt (Oder)" and
 * "Halle (Saale)" are the official names and GeoNames' too ("Frankfurt" alone is Frankfurt am Main); both geocoders
 * try the name without its bracket only when the whole name is unknown.
 */
export function cleanPlaceName (name: string): string {
  const collapsed = name.replace(/\s+/g, ' ').trim()
  const beforeComma = collapsed.split(',')[0]!.trim()
  const cleaned = beforeComma.replace(namePrefix, '').replace(nameSuffix, '').trim()
  return cleaned.length > 0 ? cleaned : beforeComma
}

function subdivisionSuffix (code: string | null | undefined): { country: string, suffix: string } | undefined {
  const match = /^([A-Z]{2})-([A-Z0-9]{1,3})$/.exec(code?.trim().toUpperCase() ?? '')
  return match ? { country: match[1]!, suffix: match[2]! } : undefined
}

/** The subdivision code of the row, else that of the subdivision on the path nearest the country. */
function subdivisionCodeOf (row: AreaHierarchyRow): string | undefined {
  if (subdivisionSuffix(row.subdivision_code)) return row.subdivision_code!.trim().toUpperCase()
  const path = row.path ?? []
  for (let i = path.length - 1; i >= 0; i--) {
    const entry = path[i]!
    if (entry.type !== 'Subdivision') continue
    const code = (entry.iso_3166_2 ?? []).find((c) => subdivisionSuffix(c))
    if (code) return code.toUpperCase()
  }
  return undefined
}

/** Rule 1: a subdivision that is also a territory with its own ISO 3166-1 code (US-PR "Puerto Rico"). */
function territoryCode (row: AreaHierarchyRow, subdivisionCode: string | undefined): string | undefined {
  const parts = subdivisionSuffix(subdivisionCode)
  if (!parts || parts.suffix === parts.country) return undefined
  const territory = knownCode(parts.suffix)
  if (territory === undefined) return undefined
  const names = [row.subdivision, ...(row.path ?? []).filter((entry) => entry.iso_3166_2?.includes(subdivisionCode!)).map((entry) => entry.name)]
  return names.some((name) => countryCodeForName(name) === territory) ? territory : undefined
}

function pathCountryCode (row: AreaHierarchyRow): string | undefined {
  for (const entry of row.path ?? []) {
    const code = (entry.iso_3166_1 ?? []).map(knownCode).find((c) => c !== undefined)
    if (code) return code
  }
  return undefined
}

function countryCodeOf (row: AreaHierarchyRow, subdivisionCode: string | undefined): { code: string | undefined, territory: boolean } {
  const territory = territoryCode(row, subdivisionCode)
  if (territory) return { code: territory, territory: true }
  const ownName = row.area_type === 'Country' || row.area_type === 'Island' ? row.area_name : undefined
  const code = pathCountryCode(row) ??
    knownCode(row.country_code) ??
    knownCode(subdivisionSuffix(subdivisionCode)?.country) ??
    countryCodeForName(row.country) ??
    countryCodeForName(row.island) ??
    countryCodeForName(ownName)
  return { code, territory: false }
}

/** "City,CC", or "City,ST,US" in the United States when the state is known. */
export function geocodingParams (key: { city: string, countryCode: string, stateCode?: string | null | undefined }): string {
  const city = cleanPlaceName(key.city)
  const country = key.countryCode.toUpperCase()
  const state = key.stateCode?.toUpperCase()
  return country === 'US' && state && /^[A-Z]{2}$/.test(state) ? `${city},${state},US` : `${city},${country}`
}

/** The inverse of geocodingParams. */
export function parseGeocodingParams (params: string): GeocodingKey | undefined {
  const parts = params.split(',').map((part) => part.trim())
  if (parts.some((part) => part.length === 0)) return undefined
  if (parts.length === 2) return { city: parts[0]!, countryCode: parts[1]!.toUpperCase(), stateCode: undefined }
  if (parts.length === 3 && parts[2]!.toUpperCase() === 'US') {
    return { city: parts[0]!, countryCode: 'US', stateCode: parts[1]!.toUpperCase() }
  }
  return undefined
}

export function geographyBase (row: AreaHierarchyRow): GeographyBase {
  const subdivisionCode = subdivisionCodeOf(row)
  const { code: countryCode, territory } = countryCodeOf(row, subdivisionCode)
  const continent = continentOf(countryCode)
  const continentCode = continent?.code ?? continentNamed(row.country) ?? continentNamed(row.area_type === 'Country' ? row.area_name : undefined)
  const subdivision = subdivisionSuffix(subdivisionCode)
  const stateCode = territory || !subdivision || (countryCode && subdivision.country !== countryCode) ? undefined : subdivision.suffix
  const cityName = [row.city, row.municipality, row.district].find((name) => name && name.trim().length > 0)
  return {
    continent: continentCode ? continentNames[continentCode] : null,
    continent_code: continentCode ?? null,
    country_code: countryCode ?? null,
    state_code: stateCode ?? null,
    params: cityName && countryCode ? geocodingParams({ city: cityName, countryCode, stateCode }) : null,
  }
}
