import { describe, expect, it } from 'vitest'
import { continentCentres, countryCentres, largestPolygonCentre, worldMap } from '../../src/reports/world.ts'

describe('world', () => {
  it('a country\'s centre is the middle of its largest land area, across the antimeridian too', async () => {
    const centres = await countryCentres()
    expect(centres.size).toBeGreaterThan(200)
    // Mainland France, not the mean of France and its overseas departments.
    expect(centres.get('FR')).toEqual({ lat: expect.closeTo(46.6, 0), lon: expect.closeTo(2.5, 0) })
    // Russia and Fiji have rings cut at ±180°.
    expect(centres.get('RU')!.lon).toBeGreaterThan(80)
    expect(centres.get('RU')!.lon).toBeLessThan(120)
    expect(Math.abs(centres.get('FJ')!.lon)).toBeGreaterThan(175)
    expect(centres.get('XK')).toBeDefined()
  })

  it('largestPolygonCentre of a square is its middle', () => {
    expect(largestPolygonCentre({ type: 'Polygon', coordinates: [[[10, 40], [12, 40], [12, 42], [10, 42], [10, 40]]] })).toEqual({ lat: 41, lon: 11 })
    expect(largestPolygonCentre({ type: 'Point', coordinates: [1, 2] })).toBeUndefined()
  })

  it('the map the page draws has no ring crossing the antimeridian (no line across the map) and no Antarctica', async () => {
    const map = await worldMap()
    for (const f of map.features) {
      const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : []
      for (const ring of polygons.flat()) {
        const lons = ring.map(([x = 0]) => x)
        expect(Math.max(...lons) - Math.min(...lons), f.properties.name).toBeLessThanOrEqual(180)
      }
    }
    expect(map.features.some((f) => f.properties.name === 'Antarctica')).toBe(false)
    expect(Object.keys(continentCentres).sort()).toEqual(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'])
  })
})
