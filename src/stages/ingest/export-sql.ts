import path from 'node:path'
import { quotedString as qs } from '@duckdb/node-api'
import type { SqlParams } from '../../lake/rows.ts'
import { minPlayMs } from './play-rows.ts'
import type { ExportFileReport, SkipCounts } from './streaming-history.ts'
import { tracksPlayed } from './tables.ts'
import { defaultMaxItemChars } from './json-array-stream.ts'
import type { ArrayElementSizes } from './json-element-sizes.ts'
import type { ExportFileOnDisk } from './export-files.ts'

/**
 * The fast way in for the files of an export zip: DuckDB reads them and turns every entry into a play row, eight files a
 * statement while the next files inflate (a million entries take it about 8 s on one thread beside the inflating; the
 * whole import of a million plays went from 42 s to about 20 s). It takes only what it can read exactly as
 * `parseExportEntries` would. A file with any entry it cannot vouch for (a missing or loose `ts`, an `ms_played` that is
 * not a plain integer, a track without a Spotify id, malformed JSON, an entry over 1 MB, anything DuckDB refuses) is
 * declined whole and goes through the JavaScript parser, which quarantines or refuses entry by entry as always.
 * test/stages/ingest/export-sql.test.ts checks that both ways give the same lake and that clean files are taken.
 */

export interface StagedExportEntries {
  /** parquet files of every entry read: the table's columns, `_ord`, `_file` (index in the list) and `_kind` */
  files: string[]
  /** reports of the files taken, by index in the list */
  reports: Map<number, ExportFileReport & SkipCounts>
  /** indexes of the files left to the JavaScript parser, in order */
  declined: number[]
  /** play rows staged (kind `play` in files taken) */
  rows: number
}

/** `_kind` of an entry; only `play` rows of files taken are staged. */
export const entryKind = { play: 0, episode: 1, audiobook: 2, noTrack: 3, unsure: 9 } as const

/** Entries of file `index` are ordered from `index × 2³²`: the same order whichever way a file is read. */
export const fileOrdBase = (index: number): number => index * 2 ** 32

/**
 * A file DuckDB may read: it is an array (DuckDB would read an empty file as no entries, and skip a BOM) and no entry
 * passes the parser's cap (DuckDB reads an entry of any size up to 16 MB; an export entry is under 2 KB).
 */
const readableByDuckDb = (file: ArrayElementSizes): boolean => file.startsArray && file.largestElementBytes <= defaultMaxItemChars

const exportFields = [
  'ts', 'ms_played', 'spotify_track_uri', 'master_metadata_track_name', 'master_metadata_album_artist_name',
  'master_metadata_album_album_name', 'spotify_episode_uri', 'episode_name', 'audiobook_uri', 'audiobook_chapter_uri',
  'audiobook_title', 'skipped', 'reason_start', 'reason_end', 'shuffle', 'offline', 'incognito_mode', 'platform',
  'conn_country', 'duration_ms',
] as const

const field = (name: string): string => `e.${qs(name).replaceAll("'", '"')}`
/** INTEGER's largest value: a larger ms_played or duration_ms is the JavaScript parser's to quarantine. */
const maxInteger = 2147483647
const raw = (name: string): string => `(${field(name)}::VARCHAR)`
/**
 * `str()`: a non-empty string, else null. A JSON value is kept as its text: a string is its quoted text, unquoted
 * directly when it holds no escape (cheaper than parsing it again). Each part is written once: `nullif` around the
 * unquoting evaluated it twice, a third of the statement's time.
 */
const text = (name: string): string =>
  `CASE WHEN ${isText(name)} THEN CASE WHEN contains(${raw(name)}, '\\') THEN ${field(name)}->>'$' ELSE substring(${raw(name)}, 2, length(${raw(name)}) - 2) END END`
/** `str() !== null`, without unquoting: a JSON string other than `""` (an escape never stands for nothing). */
const isText = (name: string): string => `(starts_with(${raw(name)}, '"') AND ${raw(name)} <> '""')`
/** `bool()`: a JSON boolean, else null. */
const flag = (name: string): string => `CASE ${raw(name)} WHEN 'true' THEN true WHEN 'false' THEN false END`
/** A JSON integer from 0 to INTEGER's maximum, else null. */
const count = (name: string): string => `CASE WHEN regexp_full_match(${raw(name)}, '[0-9]{1,10}') AND ${raw(name)}::BIGINT <= ${maxInteger} THEN ${raw(name)}::BIGINT END`

/** The values of each stored column, in the terms of `read` (below); the other columns are null. */
const columnValues: Record<string, string> = {
  play_id: "sha256('spotify-export' || chr(1) || $user || chr(1) || played_ms::VARCHAR || chr(1) || track_id)[1:32]",
  user_id: '$user',
  played_at: "timezone('UTC', epoch_ms(played_ms))",
  ended_at: "timezone('UTC', ended)",
  track_id: 'track_id',
  track_uri: 'track_uri',
  track_name: 'track_name',
  album_name: 'album_name',
  artist_name: 'artist_name',
  artist_names: 'CASE WHEN artist_name IS NOT NULL THEN [artist_name] END',
  ms_played: 'ms',
  counts_as_play: `ms >= ${minPlayMs}`,
  skipped: 'skipped',
  reason_start: 'reason_start',
  reason_end: 'reason_end',
  shuffle: 'shuffle',
  offline: 'offline',
  incognito_mode: 'incognito_mode',
  platform: 'platform',
  conn_country: 'conn_country',
  duration_ms: 'duration_ms',
  source: "'spotify-export'",
  ingested_at: "timezone('UTC', epoch_ms($ingested_ms::BIGINT))",
}

/**
 * The staged files live for one import: snappy reads and writes 10% faster than zstd at twice the size (about 120 MB
 * for a million entries, beside 770 MB of inflated JSON). The statement holds a row group of every column while it
 * reads: 16,384 rows held 10 MB more than 8,192, and 4,096 hold 4 MB less again at the import's peak, in about the
 * same time.
 */
const stagedCompression = 'snappy'
const stagedRowGroupSize = 4_096

/**
 * Every entry of the files as a row: the stored columns, `_ord`, `_file` and `_kind`. Anything `parseEntry` would
 * quarantine, refuse or read some other way is kind `unsure`: its file is declined.
 */
function entriesSql (target: string): string {
  const columns = tracksPlayed.columns.map((c) => `CAST(${columnValues[c.name] ?? 'NULL'} AS ${c.type}) AS ${qs(c.name).replaceAll("'", '"')}`)
  return `COPY (
    WITH e AS (
      SELECT row_number() OVER () AS _n, * FROM read_json($files::VARCHAR[], format = 'array', maximum_object_size = ${defaultMaxItemChars},
        columns = {${exportFields.map((name) => `${qs(name)}: 'JSON'`).join(', ')}}, filename = '_path')),
    read AS (
      SELECT right(e._path, ${'00000.json'.length})[1:5]::BIGINT AS _file,
        ${text('ts')} AS ts_text,
        ${count('ms_played')} AS ms,
        ${text('spotify_track_uri')} AS track_uri, ${text('master_metadata_track_name')} AS track_name,
        ${text('master_metadata_album_artist_name')} AS artist_name, ${text('master_metadata_album_album_name')} AS album_name,
        ${isText('spotify_episode_uri')} OR ${isText('episode_name')} AS episode,
        ${isText('audiobook_uri')} OR ${isText('audiobook_chapter_uri')} OR ${isText('audiobook_title')} AS audiobook,
        ${flag('skipped')} AS skipped, ${text('reason_start')} AS reason_start, ${text('reason_end')} AS reason_end,
        ${flag('shuffle')} AS shuffle, ${flag('offline')} AS offline, ${flag('incognito_mode')} AS incognito_mode,
        ${text('platform')} AS platform, ${text('conn_country')} AS conn_country,
        ${count('duration_ms')} AS duration_ms,
        ${count('duration_ms')} IS NOT NULL OR coalesce(${raw('duration_ms')}[1], 'n') IN ('n', '"', 't', 'f', '[', '{') AS duration_ok,
        e._n
      FROM e),
    timed AS (
      SELECT *,
        CASE WHEN regexp_full_match(ts_text, '[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z')
          THEN try_strptime(ts_text, '%Y-%m-%dT%H:%M:%SZ') END AS ended,
        ${trackIdOf('track_uri')} AS track_id
      FROM read),
    kinded AS (
      SELECT *, epoch_ms(ended) - ms AS played_ms,
        CASE
          WHEN ended IS NULL OR year(ended) < 1000 OR ms IS NULL THEN ${entryKind.unsure}
          WHEN track_uri IS NULL AND track_name IS NULL THEN
            CASE WHEN episode THEN ${entryKind.episode} WHEN audiobook THEN ${entryKind.audiobook} ELSE ${entryKind.noTrack} END
          WHEN track_id IS NULL OR NOT duration_ok THEN ${entryKind.unsure}
          ELSE ${entryKind.play}
        END AS _kind
      FROM timed)
    SELECT ${columns.join(', ')}, _file * 4294967296 + _n AS _ord, _file::INTEGER AS _file, _kind::UTINYINT AS _kind
    FROM kinded
  ) TO ${qs(target)} (FORMAT parquet, COMPRESSION ${stagedCompression}, ROW_GROUP_SIZE ${stagedRowGroupSize})`
}

const trackUriPattern = '(?:spotify:track:|open\\.spotify\\.com/track/)([0-9A-Za-z]{22})'
/**
 * `spotifyTrackId()`: the 22 characters after the first `spotify:track:` or `open.spotify.com/track/`, else a bare id.
 * An export's URIs start `spotify:track:`, read without a search (the search ran two regular expressions a row).
 */
const trackIdOf = (uri: string): string => `CASE
          WHEN starts_with(${uri}, 'spotify:track:') AND regexp_full_match(substring(${uri}, 15, 22), '[0-9A-Za-z]{22}') THEN substring(${uri}, 15, 22)
          WHEN regexp_matches(${uri}, '${trackUriPattern}') THEN regexp_extract(${uri}, '${trackUriPattern}', 1)
          WHEN regexp_full_match(${uri}, '[0-9A-Za-z]{22}') THEN ${uri}
        END`

type Query = (sql: string, params?: SqlParams) => Promise<Array<Record<string, unknown>>>

/** Files read by one statement: a few statements for a whole export, each holding a few files' worth of rows. */
const filesPerRead = 8

export interface ExportStager {
  /** The next file of the export, on disk: it is read in the background with the next few. */
  add (file: ExportFileOnDisk): void
  /** Reads what is left and answers what was staged and declined. */
  finish (): Promise<StagedExportEntries>
  /** Resolves once no statement runs; never rejects. */
  idle (): Promise<void>
}

/**
 * Reads the files of an export (named by `exportFileName`) into parquet under `dir`, a few at a time while the next are
 * inflated. A group DuckDB refuses is read again file by file; a file it refuses, or that holds an entry of kind
 * `unsure`, is declined.
 */
export function createExportStager (query: Query, dir: string, context: { userId: string, ingestedAt: string }, options: { enabled?: boolean } = {}): ExportStager {
  const files: ExportFileOnDisk[] = []
  const parquets: string[] = []
  /** the files handed to DuckDB; the others are declined as they come */
  const taken = new Set<number>()
  const refused = new Set<number>()
  const params = { user: context.userId, ingested_ms: Date.parse(context.ingestedAt) }
  let group: number[] = []
  let reading: Promise<void> = Promise.resolve()

  const read = async (indexes: number[]): Promise<boolean> => {
    const target = path.join(dir, `entries-${String(parquets.length).padStart(5, '0')}.parquet`)
    try {
      await query(entriesSql(target), { ...params, files: indexes.map((i) => files[i]!.path) })
    } catch {
      return false
    }
    parquets.push(target)
    return true
  }
  const readLater = (indexes: number[]): void => {
    reading = reading.then(async () => {
      if (await read(indexes)) return
      for (const index of indexes) {
        if (!await read([index])) refused.add(index)
      }
    })
  }

  return {
    add (file) {
      files.push(file)
      if (!readableByDuckDb(file) || options.enabled === false) return
      taken.add(files.length - 1)
      group.push(files.length - 1)
      if (group.length < filesPerRead) return
      readLater(group)
      group = []
    },
    async finish () {
      if (group.length > 0) readLater(group)
      group = []
      await reading
      const staged: StagedExportEntries = { files: parquets, reports: new Map(), declined: [], rows: 0 }
      const byFile = new Map<number, Record<string, unknown>>()
      if (parquets.length > 0) {
        const counts = await query(`SELECT _file,
            count(*)::INTEGER AS entries,
            count(*) FILTER (_kind = ${entryKind.play})::INTEGER AS rows,
            count(*) FILTER (_kind = ${entryKind.play} AND NOT counts_as_play)::INTEGER AS short_plays,
            count(*) FILTER (_kind = ${entryKind.episode})::INTEGER AS episodes,
            count(*) FILTER (_kind = ${entryKind.audiobook})::INTEGER AS audiobooks,
            count(*) FILTER (_kind = ${entryKind.noTrack})::INTEGER AS no_track,
            count(*) FILTER (_kind = ${entryKind.unsure})::INTEGER AS unsure
          FROM read_parquet($files::VARCHAR[]) GROUP BY _file`, { files: parquets })
        for (const row of counts) byFile.set(Number(row._file), row)
      }
      files.forEach((file, index) => {
        const row = byFile.get(index)
        const count = (name: string): number => Number(row?.[name] ?? 0)
        if (!taken.has(index) || refused.has(index) || count('unsure') > 0) {
          staged.declined.push(index)
          return
        }
        staged.reports.set(index, {
          name: file.name,
          entries: count('entries'),
          rows: count('rows'),
          shortPlays: count('short_plays'),
          skipped: count('episodes') + count('audiobooks') + count('no_track'),
          quarantined: 0,
          episodes: count('episodes'),
          audiobooks: count('audiobooks'),
          noTrack: count('no_track'),
        })
        staged.rows += count('rows')
      })
      return staged
    },
    idle: () => reading,
  }
}

/** The staged rows of the files taken: what `read_parquet` of staged plays would give (the table's columns and `_ord`). */
export function stagedEntriesSelect (entries: Pick<StagedExportEntries, 'files' | 'declined'>): string {
  return `SELECT * EXCLUDE (_file, _kind) FROM read_parquet([${entries.files.map((f) => qs(f)).join(', ')}])
    WHERE _kind = ${entryKind.play}${entries.declined.length > 0 ? ` AND _file NOT IN (${entries.declined.join(', ')})` : ''}`
}
