import type { FastifyBaseLogger } from 'fastify'
import { Type } from 'typebox'
import type { SimpleStep } from '../../batch/simple-step.ts'
import type { Lake } from '../../lake/lake.ts'
import type { StateStore } from '../../lake/state-store.ts'
import { quarantine } from '../../lake/quarantine.ts'
import { chainChanged, loadAreas, mergeStorable } from './areas.ts'
import { areaRow, artistGenreRows, artistInfoRow, hierarchyRow, walkAreaChain } from './mappers.ts'
import { parseArtistSearch, parseGenreList, type Json } from './parse.ts'
import type { RawAnswers, RawFile, RawKind } from './raw-answers.ts'
import { mbzAreaHierarchy, mbzAreas, mbzArtistGenre, mbzArtistInfo, type AreaHierarchyRow, type AreaRow, type ArtistGenreRow, type ArtistInfoRow } from './tables.ts'

const stateName = 'musicbrainz/parsed'
/** Raw files read per lake write. */
const filesPerWrite = 50

interface ParsedState {
  /** `<kind>/<name>` → the file's mtime when it was parsed: a file landed again is parsed again. */
  files: Record<string, number>
}

export interface ReplayCounts {
  files: number
  artists: number
  genres: number
  areas: number
  hierarchy: number
  quarantined: number
}

const replayResult = {
  full: Type.Boolean({ description: 'every raw file was read, not only the unparsed ones' }),
  artists: Type.Integer({ description: 'mbz_artist_info rows inserted or changed' }),
  genres: Type.Integer({ description: 'mbz_artist_genre rows inserted, changed or removed' }),
  areas: Type.Integer({ description: 'mbz_areas rows inserted or changed' }),
  hierarchy: Type.Integer({ description: 'mbz_area_hierarchy rows changed (a changed chain clears the geography columns)' }),
  quarantined: Type.Integer({ description: 'rows the lake could not store, set aside in the quarantine table' }),
}

const replayBody = {
  full: Type.Optional(Type.Boolean({ default: false, description: 'read every raw file again, not only those not parsed yet (after a parser fix)' })),
}

export type ParseStep = SimpleStep<typeof replayBody, typeof replayResult>

export interface Replay {
  step: ParseStep
  /** The artist details landed since the last parse, into mbz_artist_info and mbz_artist_genre (the write step's follow-up). */
  parseDetails (): Promise<{ infoChanged: number, genresChanged: number }>
}

/**
 * Rebuilds the typed tables from raw/musicbrainz/ without calling MusicBrainz: mbz_artist_info and mbz_artist_genre
 * from the `arid:` detail answers (the latest answer of an artist wins; only matched artists), mbz_areas from the area
 * lookups, and the hierarchy rows from mbz_areas. Only files not parsed yet by default; `full` reads them all. Posting
 * it twice changes nothing.
 */
export function createReplay (deps: { lake: Lake, state: StateStore, answers: RawAnswers, now: () => Date, log: FastifyBaseLogger }): Replay {
  const { lake, answers, now } = deps
  // One parse at a time: the write step's and the route's would otherwise read the same files twice.
  let queue: Promise<unknown> = Promise.resolve()
  function serialised<T> (fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn)
    queue = run.catch(() => {})
    return run
  }

  const key = (file: RawFile): string => `${file.kind}/${file.name}`

  async function pending (kind: RawKind, parsed: ParsedState, full: boolean): Promise<RawFile[]> {
    const files = await answers.list(kind)
    return full ? files : files.filter((f) => parsed.files[key(f)] !== f.mtimeMs)
  }

  async function genreList (): Promise<string[] | undefined> {
    const kept = await answers.loadGenres()
    const names = kept?.status === 200 ? parseGenreList(kept.body) : []
    return names.length > 0 ? names : undefined
  }

  /** mbid → the Spotify artist matched to it (the surest match, then the lowest id). */
  async function matchedSpotifyIds (): Promise<Map<string, string>> {
    const rows = await lake.query(`SELECT mbid, spotify_id FROM mbz_artist_match WHERE mbid IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY mbid ORDER BY confidence DESC NULLS LAST, spotify_id) = 1`)
    return new Map(rows.map((r) => [String(r.mbid), String(r.spotify_id)]))
  }

  async function parseArtistFiles (files: readonly RawFile[], counts: ReplayCounts): Promise<void> {
    const latest = new Map<string, { hit: Json, fetchedAt: string, file: string }>()
    for (const file of files) {
      const record = await answers.read(file)
      if (!record || record.status !== 200) continue
      for (const hit of parseArtistSearch(record.body).hits) {
        const mbid = hit.id.toLowerCase()
        const seen = latest.get(mbid)
        if (!seen || seen.fetchedAt <= record.fetchedAt) latest.set(mbid, { hit: hit.raw, fetchedAt: record.fetchedAt, file: file.name })
      }
    }
    const matched = await matchedSpotifyIds()
    const genres = await genreList()
    const info: ArtistInfoRow[] = []
    const genreRows: ArtistGenreRow[] = []
    for (const [mbid, { hit, fetchedAt }] of latest) {
      const spotifyId = matched.get(mbid)
      // Details of an artist no Spotify artist is matched to any more are not the lake's business.
      if (!spotifyId) continue
      const row = artistInfoRow(hit, spotifyId, fetchedAt)
      if (!row) continue
      info.push(row)
      if (genres) genreRows.push(...artistGenreRows(hit, genres))
    }
    if (info.length === 0) return
    const at = now().toISOString()
    await lake.write([mbzArtistInfo, mbzArtistGenre, quarantine], async (tx) => {
      const written = await mergeStorable(tx, mbzArtistInfo, info, 'musicbrainz:raw/musicbrainz/artists', at, (r) => r.id)
      counts.artists += written.inserted + written.updated
      counts.quarantined += written.rejected.length
      // Without the genre list (never fetched yet) the genre rows are left as they are.
      if (!genres) return
      const stored = info.map((r) => r.id).filter((id) => !written.rejected.includes(id))
      const genreResult = await tx.replaceGroups(mbzArtistGenre, 'artist_mbid', stored, genreRows.filter((g) => stored.includes(g.artist_mbid)))
      counts.genres += genreResult.inserted + genreResult.updated + genreResult.deleted
    })
  }

  async function parseAreaFiles (files: readonly RawFile[], counts: ReplayCounts): Promise<void> {
    const rows: AreaRow[] = []
    for (const file of files) {
      const record = await answers.read(file)
      if (!record || record.status !== 200) continue
      const row = areaRow(record.body, record.fetchedAt)
      // Kept under the id it was looked up by (a merged area answers under its new one), as the hierarchy step does.
      if (row) rows.push({ ...row, id: file.name })
    }
    if (rows.length === 0) return
    const at = now().toISOString()
    await lake.write([mbzAreas, quarantine], async (tx) => {
      const written = await mergeStorable(tx, mbzAreas, rows, 'musicbrainz:raw/musicbrainz/areas', at, (r) => r.id)
      counts.areas += written.inserted + written.updated
      counts.quarantined += written.rejected.length
    })
  }

  /** Every stored hierarchy row flattened again from mbz_areas; rows whose chain is unchanged or no longer whole are left alone. */
  async function refreshHierarchy (counts: ReplayCounts): Promise<void> {
    await lake.write([mbzAreaHierarchy], async (tx) => {
      const known = await loadAreas(tx)
      const stored = await tx.query('SELECT * FROM mbz_area_hierarchy') as unknown as AreaHierarchyRow[]
      const rows: AreaHierarchyRow[] = []
      for (const row of stored) {
        const chain = walkAreaChain(row.area_id, (id) => known.get(id))
        if (!chain.complete) continue
        const fresh = { ...hierarchyRow(chain.chain)!, area_id: row.area_id }
        if (chainChanged(fresh, row)) rows.push(fresh)
      }
      const result = await tx.merge(mbzAreaHierarchy, rows)
      counts.hierarchy += result.updated
    })
  }

  async function run (full: boolean, timeUp: () => boolean): Promise<{ counts: ReplayCounts, remaining: number }> {
    const parsed = (full ? undefined : await deps.state.read<ParsedState>(stateName)) ?? { files: {} }
    const counts: ReplayCounts = { files: 0, artists: 0, genres: 0, areas: 0, hierarchy: 0, quarantined: 0 }
    const work: Array<{ kind: RawKind, files: RawFile[] }> = [
      { kind: 'artists', files: await pending('artists', parsed, full) },
      { kind: 'areas', files: await pending('areas', parsed, full) },
    ]
    let remaining = work.reduce((sum, w) => sum + w.files.length, 0)
    let areasRead = 0
    for (const { kind, files } of work) {
      for (let i = 0; i < files.length; i += filesPerWrite) {
        if (timeUp()) return { counts, remaining }
        const chunk = files.slice(i, i + filesPerWrite)
        if (kind === 'artists') await parseArtistFiles(chunk, counts)
        else await parseAreaFiles(chunk, counts)
        for (const file of chunk) parsed.files[key(file)] = file.mtimeMs
        await deps.state.write(stateName, parsed, { compact: true })
        counts.files += chunk.length
        remaining -= chunk.length
        if (kind === 'areas') areasRead += chunk.length
      }
    }
    if (full || counts.areas > 0 || areasRead > 0) await refreshHierarchy(counts)
    return { counts, remaining }
  }

  const step: ParseStep = {
    name: 'musicbrainz.parse',
    tag: 'musicbrainz',
    summary: 'Rebuild mbz_artist_info, mbz_artist_genre, mbz_areas and the hierarchy flattening from raw/musicbrainz/, without calling MusicBrainz',
    description: 'Reads the raw files not parsed yet (all of them with full: true), so a parser fix can be replayed. ' +
      'Posting it twice changes nothing. Works for about maxSeconds, then answers done: false.',
    body: replayBody,
    result: replayResult,
    errors: ['NOT_CONFIGURED', 'LAKE_WRITE_FAILED'],
    defaultMaxSeconds: 120,
    run: (body, { timeUp }) => serialised(async () => {
      const full = body.full ?? false
      const { counts, remaining } = await run(full, timeUp)
      return {
        processed: counts.files,
        remaining,
        status: 'complete' as const,
        full,
        artists: counts.artists,
        genres: counts.genres,
        areas: counts.areas,
        hierarchy: counts.hierarchy,
        quarantined: counts.quarantined,
      }
    }),
  }

  return {
    step,
    parseDetails: () => serialised(async () => {
      const parsed = await deps.state.read<ParsedState>(stateName) ?? { files: {} }
      const counts: ReplayCounts = { files: 0, artists: 0, genres: 0, areas: 0, hierarchy: 0, quarantined: 0 }
      const files = await pending('artists', parsed, false)
      for (let i = 0; i < files.length; i += filesPerWrite) {
        const chunk = files.slice(i, i + filesPerWrite)
        await parseArtistFiles(chunk, counts)
        for (const file of chunk) parsed.files[key(file)] = file.mtimeMs
        await deps.state.write(stateName, parsed, { compact: true })
      }
      return { infoChanged: counts.artists, genresChanged: counts.genres }
    }),
  }
}
