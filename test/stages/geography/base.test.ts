import { countries } from 'countries-list'
import { describe, expect, it } from 'vitest'
import {
  cleanPlaceName,
  continentOf,
  countryCodeForName,
  geocodingParams,
  geographyBase,
  m49Continents,
  parseGeocodingParams,
  type AreaHierarchyRow,
  type AreaPathEntry,
} from '../../../src/stages/geography/base.ts'

const area = (type: string, name: string, codes: { iso1?: string[], iso2?: string[] } = {}): AreaPathEntry =>
  ({ id: `${type}-${name}`, type, name, iso_3166_1: codes.iso1 ?? [], iso_3166_2: codes.iso2 ?? [] })

const unitedStates = area('Country', 'United States', { iso1: ['US'] })

describe('geographyBase', () => {
  it('builds City,ST,US for the United States from the subdivision code', () => {
    const row: AreaHierarchyRow = {
      area_id: 'portland',
      area_type: 'City',
      area_name: 'Portland',
      path: [area('City', 'Portland'), area('County', 'Multnomah County'), area('Subdivision', 'Oregon', { iso2: ['US-OR'] }), unitedStates],
      city: 'Portland',
      county: 'Multnomah County',
      subdivision: 'Oregon',
      subdivision_code: 'US-OR',
      country: 'United States',
      country_code: 'US',
    }
    expect(geographyBase(row)).toEqual({ continent: 'North America', continent_code: 'NA', country_code: 'US', state_code: 'OR', params: 'Portland,OR,US' })
    expect(geographyBase({ ...row, subdivision_code: 'US-ME', subdivision: 'Maine' }).params).toBe('Portland,ME,US')
  })

  it('builds City,CC elsewhere and keeps the state code of the subdivision', () => {
    expect(geographyBase({ area_id: 'l', city: 'London', subdivision: 'England', subdivision_code: 'GB-ENG', country: 'United Kingdom', country_code: 'GB' }))
      .toEqual({ continent: 'Europe', continent_code: 'EU', country_code: 'GB', state_code: 'ENG', params: 'London,GB' })
    expect(geographyBase({ area_id: 'o', city: 'London', subdivision: 'Ontario', subdivision_code: 'CA-ON', country: 'Canada', country_code: 'CA' }))
      .toMatchObject({ continent_code: 'NA', state_code: 'ON', params: 'London,CA' })
  })

  it('writes City,US without a state when the US state is unknown', () => {
    expect(geographyBase({ area_id: 's', city: 'Springfield', country: 'United States', country_code: 'US' }))
      .toMatchObject({ state_code: null, params: 'Springfield,US' })
  })

  it('falls back from city to municipality to district, cleaned of MusicBrainz suffixes', () => {
    const denmark = { country: 'Denmark', country_code: 'DK' }
    expect(geographyBase({ area_id: 'c', municipality: 'Copenhagen Municipality', ...denmark }).params).toBe('Copenhagen,DK')
    expect(geographyBase({ area_id: 'g', district: 'Gangnam District', country: 'South Korea', country_code: 'KR' }).params).toBe('Gangnam,KR')
    expect(geographyBase({ area_id: 'p', city: 'Seoul', district: 'Gangnam District', country: 'South Korea', country_code: 'KR' }).params).toBe('Seoul,KR')
    expect(geographyBase({ area_id: 'x', city: '  ', municipality: 'Aarhus Municipality', ...denmark }).params).toBe('Aarhus,DK')
  })

  it('gives no params without a city or without a country code, but still the continent', () => {
    expect(geographyBase({ area_id: 'fr', area_type: 'Country', area_name: 'France', country: 'France', country_code: 'FR' }))
      .toEqual({ continent: 'Europe', continent_code: 'EU', country_code: 'FR', state_code: null, params: null })
    expect(geographyBase({ area_id: 'eu', area_type: 'Country', area_name: 'Europe', country: 'Europe', country_code: 'XE' }))
      .toEqual({ continent: 'Europe', continent_code: 'EU', country_code: null, state_code: null, params: null })
    expect(geographyBase({ area_id: 'ww', area_type: 'Country', area_name: '[Worldwide]', country: '[Worldwide]', country_code: 'XW' }))
      .toEqual({ continent: null, continent_code: null, country_code: null, state_code: null, params: null })
    expect(geographyBase({ area_id: 'n', city: 'Atlantis' }).params).toBeNull()
  })

  it('takes continents from the dataset: every code of AF AN AS EU NA OC SA occurs', () => {
    const cases: Array<[string, string, string]> = [
      ['NG', 'AF', 'Africa'], ['AQ', 'AN', 'Antarctica'], ['JP', 'AS', 'Asia'], ['SE', 'EU', 'Europe'],
      ['MX', 'NA', 'North America'], ['NZ', 'OC', 'Oceania'], ['AR', 'SA', 'South America'],
    ]
    for (const [country, code, name] of cases) {
      expect(geographyBase({ area_id: country, country_code: country }), country).toMatchObject({ continent_code: code, continent: name })
      expect(continentOf(country.toLowerCase())).toEqual({ code, name })
    }
    expect(continentOf('XX')).toBeUndefined()
    expect(continentOf(null)).toBeUndefined()
  })

  it('places transcontinental countries as the UN M49 geoscheme does: Russia in Europe', () => {
    expect(countries.RU.continent).toBe('AS') // what countries-list says
    expect(continentOf('RU')).toEqual({ code: 'EU', name: 'Europe' })
    expect(geographyBase({ area_id: 'm', city: 'Moscow', country: 'Russia', country_code: 'RU' })).toMatchObject({ continent: 'Europe', continent_code: 'EU', params: 'Moscow,RU' })
    expect(geographyBase({ area_id: 'v', city: 'Vladivostok', country: 'Russia', country_code: 'RU' }).continent_code).toBe('EU')
    expect(geographyBase({ area_id: 'su', area_type: 'Country', area_name: 'Soviet Union', country: 'Soviet Union' }).continent_code).toBe('EU')
    for (const [code, continent] of [['TR', 'AS'], ['KZ', 'AS'], ['GE', 'AS'], ['AZ', 'AS'], ['EG', 'AF'], ['DK', 'EU'], ['AM', 'AS'], ['CY', 'EU']] as const) {
      expect(continentOf(code)?.code, code).toBe(continent)
    }
    // Every country countries-list puts on two continents has its M49 continent, one of those two.
    const transcontinental = Object.entries(countries).filter(([, country]) => (country as { continents?: string[] }).continents !== undefined)
    expect(transcontinental.map(([code]) => code).sort()).toEqual(Object.keys(m49Continents).sort())
    for (const [code, country] of transcontinental) expect((country as { continents: string[] }).continents, code).toContain(m49Continents[code])
  })

  it('keeps territories under their own code and continent instead of the sovereign country', () => {
    const sanJuan: AreaHierarchyRow = {
      area_id: 'sj',
      area_type: 'City',
      city: 'San Juan',
      path: [area('City', 'San Juan'), area('Country', 'Puerto Rico', { iso1: ['PR'], iso2: ['US-PR'] })],
      country: 'Puerto Rico',
      country_code: 'PR',
    }
    expect(geographyBase(sanJuan)).toEqual({ continent: 'North America', continent_code: 'NA', country_code: 'PR', state_code: null, params: 'San Juan,PR' })
    // Reached through the subdivision "Puerto Rico" (US-PR) of the United States: still PR, and no state.
    expect(geographyBase({ area_id: 'sj2', city: 'San Juan', subdivision: 'Puerto Rico', subdivision_code: 'US-PR', country: 'United States', country_code: 'US' }))
      .toMatchObject({ country_code: 'PR', state_code: null, params: 'San Juan,PR' })
    // The nearest ISO 3166-1 code on the path wins over the country's.
    expect(geographyBase({ area_id: 'h', city: 'Hagåtña', path: [area('City', 'Hagåtña'), area('Country', 'Guam', { iso1: ['GU'] }), unitedStates], country_code: 'US' }))
      .toMatchObject({ country_code: 'GU', continent_code: 'OC', params: 'Hagåtña,GU' })
    expect(geographyBase({ area_id: 'r', city: 'Saint-Denis', country: 'Réunion', country_code: 'RE' })).toMatchObject({ continent: 'Africa', params: 'Saint-Denis,RE' })
    expect(geographyBase({ area_id: 'a', city: 'Oranjestad', subdivision: 'Aruba', subdivision_code: 'NL-AW', country_code: 'NL' })).toMatchObject({ country_code: 'AW', continent_code: 'NA' })
    // A US state whose code is also a country's code (CA, GA, DE) is not that country.
    expect(geographyBase({ area_id: 'la', city: 'Los Angeles', subdivision: 'California', subdivision_code: 'US-CA', country_code: 'US' }))
      .toMatchObject({ country_code: 'US', state_code: 'CA', params: 'Los Angeles,CA,US' })
    expect(geographyBase({ area_id: 'at', city: 'Atlanta', subdivision: 'Georgia', subdivision_code: 'US-GA', country_code: 'US' }).params).toBe('Atlanta,GA,US')
  })

  it('finds the country code when MusicBrainz has none: subdivision code, country name, island name, former country', () => {
    expect(geographyBase({ area_id: '1', city: 'Cardiff', subdivision: 'Wales', subdivision_code: 'GB-WLS', country: 'United Kingdom' }))
      .toMatchObject({ country_code: 'GB', params: 'Cardiff,GB' })
    expect(geographyBase({ area_id: '2', city: 'Abidjan', country: "Côte d'Ivoire" })).toMatchObject({ country_code: 'CI', continent_code: 'AF' })
    expect(geographyBase({ area_id: '3', area_type: 'Island', area_name: 'Réunion', island: 'Réunion' })).toMatchObject({ country_code: 'RE', continent_code: 'AF' })
    expect(geographyBase({ area_id: '4', area_type: 'Country', area_name: 'Soviet Union', country: 'Soviet Union' })).toMatchObject({ country_code: 'RU' })
    expect(geographyBase({ area_id: '5', area_type: 'Country', area_name: 'Yugoslavia', country: 'Yugoslavia' })).toMatchObject({ country_code: 'RS', continent_code: 'EU' })
    expect(geographyBase({ area_id: '6', area_type: 'Country', area_name: 'East Germany', country: 'East Germany' })).toMatchObject({ country_code: 'DE' })
    expect(geographyBase({ area_id: '7', area_type: 'Country', area_name: 'Czechoslovakia', country: 'Czechoslovakia' })).toMatchObject({ country_code: 'CZ' })
    expect(geographyBase({ area_id: '8', area_type: 'Island', area_name: 'Atlantis', island: 'Atlantis' })).toMatchObject({ country_code: null, continent: null })
  })

  it('reads the state from the path when the row has no subdivision code', () => {
    const path = [area('City', 'Nashville'), area('County', 'Davidson County'), area('Subdivision', 'Tennessee', { iso2: ['US-TN'] }), unitedStates]
    expect(geographyBase({ area_id: 'n', city: 'Nashville', path, country_code: 'US' })).toMatchObject({ state_code: 'TN', params: 'Nashville,TN,US' })
  })
})

describe('countryCodeForName', () => {
  it('matches names, native names and aliases, accent- and case-insensitively', () => {
    expect(countryCodeForName('South Korea')).toBe('KR')
    expect(countryCodeForName('Viet Nam')).toBe('VN')
    expect(countryCodeForName('Laos')).toBe('LA')
    expect(countryCodeForName('the gambia')).toBe('GM')
    expect(countryCodeForName('Côte d’Ivoire')).toBe('CI')
    expect(countryCodeForName('Deutschland')).toBe('DE')
    expect(countryCodeForName('Burma')).toBe('MM')
  })

  it('never guesses: a name of two countries, a part of a name, or an unknown name is no answer', () => {
    expect(countryCodeForName('Congo')).toBeUndefined()
    expect(countryCodeForName('Guinea')).toBe('GN')
    expect(countryCodeForName('Korea')).toBeUndefined()
    expect(countryCodeForName('Nowhere')).toBeUndefined()
    expect(countryCodeForName('')).toBeUndefined()
  })
})

describe('cleanPlaceName', () => {
  it.each([
    ['Copenhagen Municipality', 'Copenhagen'],
    ['Gangnam District', 'Gangnam'],
    ['Wigan Metropolitan Borough', 'Wigan'],
    ['Cherry Hill Township', 'Cherry Hill'],
    ['City of London', 'London'],
    ['City of Westminster', 'Westminster'],
    ['London Borough of Camden', 'Camden'],
    ['Royal Borough of Kingston upon Thames', 'Kingston upon Thames'],
    ['City and County of Swansea', 'Swansea'],
    ['Washington, D.C.', 'Washington'],
    ['Frankfurt (Oder)', 'Frankfurt (Oder)'],
    ['Mexico City', 'Mexico City'],
    ['Quezon  City ', 'Quezon City'],
    ['Kansas City', 'Kansas City'],
    ['District', 'District'],
  ])('%s → %s', (name, cleaned) => {
    expect(cleanPlaceName(name)).toBe(cleaned)
  })
})

describe('geocoding params', () => {
  it('round-trips through parseGeocodingParams', () => {
    expect(geocodingParams({ city: 'Portland', countryCode: 'us', stateCode: 'or' })).toBe('Portland,OR,US')
    expect(geocodingParams({ city: 'Washington, D.C.', countryCode: 'US', stateCode: 'DC' })).toBe('Washington,DC,US')
    expect(geocodingParams({ city: 'Córdoba', countryCode: 'ES', stateCode: 'AN' })).toBe('Córdoba,ES')
    expect(parseGeocodingParams('Portland,OR,US')).toEqual({ city: 'Portland', countryCode: 'US', stateCode: 'OR' })
    expect(parseGeocodingParams('Córdoba,ES')).toEqual({ city: 'Córdoba', countryCode: 'ES', stateCode: undefined })
    expect(parseGeocodingParams('Portland')).toBeUndefined()
    expect(parseGeocodingParams('London,ENG,GB')).toBeUndefined()
    expect(parseGeocodingParams(',US')).toBeUndefined()
  })
})
