import { describe, expect, it } from 'vitest'
import { isLatinScript, normalisePlaceName } from '../../../src/stages/geography/place-names.ts'

describe('normalisePlaceName', () => {
  it.each([
    ['Saint-Étienne', 'saint etienne'],
    ['  SAINT   etienne ', 'saint etienne'],
    ['Łódź', 'lodz'],
    ['Tromsø', 'tromso'],
    ['Straße', 'strasse'],
    ['Frankfurt (Oder)', 'frankfurt oder'],
    ['St. Louis', 'st louis'],
    ["L'Aquila", 'l aquila'],
    ['Ha’il', 'ha il'],
    ['Reykjavík', 'reykjavik'],
    ['Москва', 'москва'],
    ['---', ''],
  ])('%s → %s', (name, normal) => {
    expect(normalisePlaceName(name)).toBe(normal)
  })
})

describe('isLatinScript', () => {
  it('accepts Latin letters with accents and punctuation, refuses other scripts', () => {
    expect(isLatinScript('Łódź-Fabryczna ’s')).toBe(true)
    expect(isLatinScript('Hà Nội')).toBe(true)
    expect(isLatinScript('Кёльн')).toBe(false)
    expect(isLatinScript('ケルン')).toBe(false)
  })
})
