import { AppError } from '../errors.ts'
import { genresReport } from './genres.ts'
import { placesReport } from './places.ts'
import { firstRow, num, strOrNull, round1, type WarehouseQuery } from './query.ts'
import { recentReport } from './recent.ts'
import type { GenresParams, GenresReport, Overview, PlacesParams, PlacesReport, Recent, RecentParams, TimeParams, TimeReport } from './schemas.ts'
import { timeReport } from './time.ts'
import { countryCentres, type LatLon } from './world.ts'

export interface ReportsDeps {
  /** read-only queries on the current warehouse, across rebuilds (the warehouse reader) */
  query: WarehouseQuery
  /**
   * the lake's tracks_played parquet file (the recent report reads the plays that arrived after the build) and a
   * folder on the same file system for a snapshot of it (the lake's tmp/)
   */
  plays: { file: string, tmpDir: string }
  /** plays that count in the lake right now (the overview tells an empty lake from an unbuilt warehouse) */
  lakePlays: () => Promise<number>
  now: () => Date
  /** ISO alpha-2 → a point for the country's bubble (default: from world-atlas) */
  countryCentres?: () => Promise<Map<string, LatLon>>
}

export interface Reports {
  overview (): Promise<Overview>
  recent (params: RecentParams): Promise<Recent>
  time (params: TimeParams): Promise<TimeReport>
  genres (params: GenresParams): Promise<GenresReport>
  places (params: PlacesParams): Promise<PlacesReport>
}

export const howToBuild = 'POST /v1/warehouse/build (or `tracklake run warehouse-build`) builds the warehouse from the lake; the Daily ETL rebuilds it every day'

const overviewSql = `
SELECT b.built_at, b.timezone, f.plays, f.minutes, f.first_date, f.last_date
FROM meta.build b, (
  SELECT count(*) AS plays, coalesce(sum(minutes), 0) AS minutes,
    strftime(min(date), '%Y-%m-%d') AS first_date, strftime(max(date), '%Y-%m-%d') AS last_date
  FROM rpt_plays
) f
`

/**
 * A warehouse built before the report marts (rpt_*) existed reads as one not built yet: the page says how to build
 * it, rather than answering 500 until the next Daily ETL.
 */
function withReportTables (query: WarehouseQuery): WarehouseQuery {
  return async (sql, params, options) => {
    try {
      return await query(sql, params, options)
    } catch (err) {
      const message = err instanceof Error ? err.message : ''
      if (!/Catalog Error: Table with name rpt_/.test(message)) throw err
      throw new AppError('WAREHOUSE_NOT_BUILT', 'the warehouse was built by an older tracklake, without the report tables: POST /v1/warehouse/build rebuilds it')
    }
  }
}

/** The listening reports, read from the warehouse (and, for the recent plays, the lake). */
export function createReports (deps: ReportsDeps): Reports {
  const centres = deps.countryCentres ?? countryCentres
  const query = withReportTables(deps.query)
  return {
    async overview () {
      const lakePlays = await deps.lakePlays()
      try {
        const row = firstRow(await query(overviewSql))
        return {
          built: true,
          builtAt: strOrNull(row.built_at),
          timezone: strOrNull(row.timezone),
          plays: num(row.plays),
          minutes: round1(num(row.minutes)),
          firstDate: strOrNull(row.first_date),
          lastDate: strOrNull(row.last_date),
          lakePlays,
          howToBuild,
        }
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'WAREHOUSE_NOT_BUILT')) throw err
        return { built: false, builtAt: null, timezone: null, plays: 0, minutes: 0, firstDate: null, lastDate: null, lakePlays, howToBuild }
      }
    },
    recent: (params) => recentReport({ ...deps, query }, params),
    time: (params) => timeReport(query, params),
    genres: (params) => genresReport(query, params),
    places: (params) => placesReport(query, centres, params),
  }
}
