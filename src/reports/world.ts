import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { Feature, FeatureCollection, Geometry, MultiPolygon, Polygon, Position } from 'geojson'
import type { GeometryCollection, Topology } from 'topojson-specification'

const require = createRequire(import.meta.url)

/** Natural Earth country outlines from world-atlas: 1:110m for the map the page draws, 1:50m for country centres. */
export const worldAtlasFiles = {
  map: require.resolve('world-atlas/countries-110m.json'),
  centres: require.resolve('world-atlas/countries-50m.json'),
}

export interface CountryProperties {
  name: string
  /** ISO 3166-1 alpha-2, null for the few shapes without one (N. Cyprus, Somaliland) */
  code: string | null
}

export interface LatLon {
  lat: number
  lon: number
}

/** Shapes world-atlas gives no ISO numeric code, named as it names them. */
const alpha2ByName: Record<string, string> = { Kosovo: 'XK' }
const antarctica = '010'

/**
 * A point on each continent for its bubble (countries-list codes, as the geography stage stores them): the middle of
 * its landmass, moved where that lies in the sea or on the far edge of the map.
 */
export const continentCentres: Record<string, LatLon> = {
  AF: { lat: 6, lon: 20 },
  AN: { lat: -80, lon: 20 },
  AS: { lat: 40, lon: 90 },
  EU: { lat: 51, lon: 14 },
  NA: { lat: 44, lon: -100 },
  OC: { lat: -25, lon: 134 },
  SA: { lat: -14, lon: -59 },
}

async function countries (file: string): Promise<Array<Feature<Geometry, CountryProperties>>> {
  // Imported on the first report that needs a map or a country's centre, not at start (2 MB of heap the service
  // would carry through every Daily ETL).
  const [{ iso31661 }, { feature }] = await Promise.all([import('iso-3166'), import('topojson-client')])
  const alpha2ByNumeric = new Map(iso31661.map((c) => [c.numeric, c.alpha2]))
  const topology = JSON.parse(await readFile(file, 'utf8')) as Topology<{ countries: GeometryCollection<{ name: string }> }>
  const collection = feature(topology, topology.objects.countries) as FeatureCollection<Geometry, { name: string }>
  return collection.features.map((f) => ({
    ...f,
    properties: {
      name: f.properties.name,
      code: (f.id !== undefined ? alpha2ByNumeric.get(String(f.id)) : undefined) ?? alpha2ByName[f.properties.name] ?? null,
    },
  }))
}

/**
 * A ring cut at the antimeridian (Russia's Chukotka, Fiji) runs from +180 to -180 and back: drawn as it is, it strokes
 * a line across the whole map. Its western longitudes are moved past 180, then held at 180 (the map's edge).
 */
function keepOnMap (ring: Position[]): Position[] {
  const lons = ring.map(([x = 0]) => x)
  if (Math.max(...lons) - Math.min(...lons) <= 180) return ring
  return ring.map(([x = 0, y = 0]) => [Math.min(180, x < 0 ? x + 360 : x), y])
}

function onMap (geometry: Geometry): Geometry {
  if (geometry.type === 'Polygon') return { ...geometry, coordinates: geometry.coordinates.map(keepOnMap) }
  if (geometry.type === 'MultiPolygon') return { ...geometry, coordinates: geometry.coordinates.map((polygon) => polygon.map(keepOnMap)) }
  return geometry
}

/** The world map the page draws (GeoJSON; Antarctica left out, it would take a fifth of the height for no plays). */
export async function worldMap (): Promise<FeatureCollection<Geometry, CountryProperties>> {
  const features = (await countries(worldAtlasFiles.map)).filter((f) => f.id !== antarctica).map((f) => ({ ...f, geometry: onMap(f.geometry) }))
  return { type: 'FeatureCollection', features }
}

/**
 * Area (in degrees², scaled by the cosine of the latitude) and centroid of a ring, by the shoelace formula. A ring cut
 * at the antimeridian (Russia's Chukotka, Fiji) spans nearly 360°: its western longitudes are moved past 180 first.
 */
function ringCentroid (points: Position[]): { area: number, lat: number, lon: number } {
  const lons = points.map(([x = 0]) => x)
  const wraps = Math.max(...lons) - Math.min(...lons) > 180
  const ring = wraps ? points.map(([x = 0, y = 0]) => [x < 0 ? x + 360 : x, y]) : points
  let twiceArea = 0
  let cx = 0
  let cy = 0
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [x0 = 0, y0 = 0] = ring[j]!
    const [x1 = 0, y1 = 0] = ring[i]!
    const cross = x0 * y1 - x1 * y0
    twiceArea += cross
    cx += (x0 + x1) * cross
    cy += (y0 + y1) * cross
  }
  if (twiceArea === 0) {
    const [x = 0, y = 0] = ring[0] ?? []
    return { area: 0, lat: y, lon: x }
  }
  const lat = cy / (3 * twiceArea)
  const lon = cx / (3 * twiceArea)
  return { area: Math.abs(twiceArea / 2) * Math.cos(lat * Math.PI / 180), lat, lon: lon > 180 ? lon - 360 : lon }
}

/** The centroid of a country's largest polygon: mainland France, not the average of France and its overseas parts. */
export function largestPolygonCentre (geometry: Geometry): LatLon | undefined {
  const polygons: Position[][][] = geometry.type === 'Polygon'
    ? [(geometry as Polygon).coordinates]
    : geometry.type === 'MultiPolygon' ? (geometry as MultiPolygon).coordinates : []
  let best: { area: number, lat: number, lon: number } | undefined
  for (const polygon of polygons) {
    const outer = polygon[0]
    if (!outer || outer.length < 3) continue
    const centre = ringCentroid(outer)
    if (!best || centre.area > best.area) best = centre
  }
  return best ? { lat: Math.round(best.lat * 100) / 100, lon: Math.round(best.lon * 100) / 100 } : undefined
}

let centres: Promise<Map<string, LatLon>> | undefined

/** ISO alpha-2 → the middle of the country's largest land area, read once (1:50m, 241 shapes). */
export function countryCentres (): Promise<Map<string, LatLon>> {
  centres ??= countries(worldAtlasFiles.centres).then((features) => {
    const out = new Map<string, LatLon>()
    for (const f of features) {
      const centre = f.properties.code ? largestPolygonCentre(f.geometry) : undefined
      if (centre && !out.has(f.properties.code!)) out.set(f.properties.code!, centre)
    }
    return out
  })
  return centres
}
