import { describe, expect, it } from 'vitest'
import { nameKey, normaliseIsrc, normaliseIsrcs, normaliseName, sameName } from '../../../src/stages/musicbrainz/normalise.ts'

describe('name normalisation', () => {
  it('ignores case, accents and letters NFKD cannot split', () => {
    expect(normaliseName('Beyoncé')).toBe('beyonce')
    expect(sameName('Zoe Renard', 'Zoë Rénard')).toBe(true)
    expect(sameName('Søren Vik', 'Soren Vik')).toBe(true)
    expect(sameName('Mötley Crüe', 'MOTLEY CRUE')).toBe(true)
    expect(sameName('Straßenjungs', 'Strassenjungs')).toBe(true)
  })

  it('drops a leading "The" but keeps a name that is only "The"', () => {
    expect(sameName('The Harbour Lights', 'Harbour Lights')).toBe(true)
    expect(normaliseName('The The')).toBe('the')
    expect(normaliseName('The')).toBe('the')
    expect(sameName('Theatre of Tragedy', 'atre of Tragedy')).toBe(false)
  })

  it('makes &, + and "and" the same word', () => {
    expect(sameName('Rook & Raven', 'Rook and Raven')).toBe(true)
    expect(sameName('Rook+Raven', 'Rook And Raven')).toBe(true)
    expect(normaliseName('Simon & Garfunkel')).toBe('simon and garfunkel')
  })

  it('ignores punctuation and spacing', () => {
    expect(sameName("Guns N' Roses", 'Guns N’ Roses')).toBe(true)
    expect(sameName('R.E.M.', 'REM')).toBe(true)
    expect(sameName('AC/DC', 'ACDC')).toBe(true)
    expect(sameName('Jay-Z', 'JAY Z')).toBe(true)
    expect(normaliseName('  Lena   Marlow ')).toBe('lena marlow')
  })

  it('keeps non-Latin names and names made only of punctuation comparable', () => {
    expect(sameName('싸이', '싸이')).toBe(true)
    expect(sameName('싸이', 'PSY')).toBe(false)
    expect(nameKey('!!!')).toBe('!!!')
    expect(sameName('!!!', '!!!')).toBe(true)
  })

  it('tells different names apart', () => {
    expect(sameName('Nora Vey', 'Tomas Greer')).toBe(false)
    expect(sameName('Various Artists', 'Various Artist')).toBe(false)
  })
})

describe('ISRC normalisation', () => {
  it('upper-cases and strips dashes and spaces', () => {
    expect(normaliseIsrc('qzil12400001')).toBe('QZIL12400001')
    expect(normaliseIsrc('US-UM7-17-03861')).toBe('USUM71703861')
    expect(normaliseIsrc(' gb ayE 00 00351 ')).toBe('GBAYE0000351')
  })

  it('refuses what is not an ISRC', () => {
    expect(normaliseIsrc('')).toBeNull()
    expect(normaliseIsrc(null)).toBeNull()
    expect(normaliseIsrc('USUM7170386')).toBeNull()
    expect(normaliseIsrc('1SUM71703861')).toBeNull()
    expect(normaliseIsrc('USUM717038AB')).toBeNull()
  })

  it('keeps the valid ones of a list once each', () => {
    expect(normaliseIsrcs(['qzil12400001', 'QZIL12400001', 'bad', null, 'QZMS12400001'])).toEqual(['QZIL12400001', 'QZMS12400001'])
  })
})
