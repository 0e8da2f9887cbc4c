// npm run test:e2e — real n8n runs the workflows in n8n-workflows/ against the real service on a temporary lake,
// with fake upstreams on 127.0.0.1. Add a stage by adding a phase below: execute its workflow, then check the lake.
import assert from 'node:assert/strict'
import fs from 'node:fs/promises'
import path from 'node:path'
import { dailyChain } from '../src/daily/steps.ts'
import { recordName } from '../src/runs/summary.ts'
import { createWarehouseReader } from '../src/stages/warehouse/reader.ts'
import { createFakeListenBrainz, type FakeListenBrainz } from '../test/fakes/fake-listenbrainz.ts'
import { createFakeMusicBrainz, seedPlaces, type FakeArea, type FakeMusicBrainz, type Places } from '../test/fakes/fake-musicbrainz.ts'
import { createFakeOpenWeather, type FakeOpenWeather } from '../test/fakes/fake-openweather.ts'
import { createFakeSpotify, seedCatalog, type FakeSpotify } from '../test/fakes/fake-spotify.ts'
import { exportEntry, podcastEntry } from '../test/helpers/export.ts'
import { createN8n, ensureN8n, type N8n } from './e2e/n8n.ts'
import { buildProduction, makeTempDir, startService } from './lib/service.ts'
import { allWorkflows } from './workflows/definitions.ts'

type Row = Record<string, any>

/** The service as n8n reaches it, plus a way to call it as a user would (with the bearer token). */
interface Api {
  url: string
  call<T = any> (method: string, path: string, body?: unknown): Promise<{ status: number, body: T }>
}

function api (service: { url: string }, token: string): Api {
  return {
    // The service may be restarted on another port: always the current one.
    get url () { return service.url },
    async call (method, path, body) {
      const res = await fetch(`${service.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    },
  }
}

interface Context {
  service: Api
  n8n: N8n
  spotify: FakeSpotify
  listenbrainz: FakeListenBrainz
  catalog: ReturnType<typeof seedCatalog>
  musicbrainz: FakeMusicBrainz
  mbz: MusicBrainzWorld
  openweather: FakeOpenWeather
  /** The service's TRACKLAKE_DATA_DIR. */
  dataDir: string
  /** Stops the service and starts it again on the same lake with these variables added (n8n follows it). */
  restartService (env: Record<string, string>): Promise<void>
  /** Runs a workflow by name through the n8n CLI; answers the items of its last node. */
  execute (name: string): Promise<Row[]>
  table (name: string): Promise<Row[]>
}

const log = (line: string): void => { console.log(`[e2e] ${line}`) }
const workflows = allWorkflows()
const idOf = (name: string): string => {
  const found = Object.values(workflows).find((w) => w.name === name)
  if (!found) throw new Error(`no workflow named ${name}`)
  return found.id
}

async function table (service: Api, name: string): Promise<Row[]> {
  const rows: Row[] = []
  for (let offset = 0; ; offset += 1000) {
    const page = await service.call('GET', `/v1/tables/${name}?limit=1000&offset=${offset}`)
    assert.equal(page.status, 200, `GET /v1/tables/${name} answered ${page.status}`)
    rows.push(...page.body.rows)
    if (page.body.rows.length < 1000) return rows
  }
}

const snapshot = async (ctx: Context, names: string[]): Promise<string> =>
  JSON.stringify(await Promise.all(names.map(async (n) => (await ctx.table(n)).map((r) => JSON.stringify(r)).sort())))

/** The rows of two snapshots that differ, table by table: what a failed "no row changed" needs to show. */
function snapshotDiff (names: string[], before: string, after: string): string {
  const [a, b] = [JSON.parse(before) as string[][], JSON.parse(after) as string[][]]
  return names.flatMap((name, i) => {
    const [was, now] = [new Set(a[i]), new Set(b[i])]
    const gone = [...was].filter((r) => !now.has(r))
    const added = [...now].filter((r) => !was.has(r))
    return gone.length + added.length === 0 ? [] : [`${name}: was ${gone.join(' ')} now ${added.join(' ')}`]
  }).join('\n').slice(0, 6000)
}

/** The fake world: a catalog with a few ids Spotify does not know, plays to poll, an export and ListenBrainz listens. */
function seedUpstreams (spotify: FakeSpotify, listenbrainz: FakeListenBrainz) {
  const catalog = seedCatalog(spotify, { artists: 40, tracksPerArtist: 2, devMode: true })
  const tracks = [...spotify.tracks.values()]
  // Track 79 vanished from Spotify: its imported plays can never be resolved. Artist 3 and album 5 vanished too.
  spotify.tracks.delete(catalog.trackIds[79]!)
  spotify.artists.delete(catalog.artistIds[3]!)
  spotify.albums.delete(catalog.albumIds[5]!)
  const start = Date.parse('2026-11-01T08:00:00Z')
  for (let i = 0; i < 30; i++) spotify.plays.push({ played_at: new Date(start + i * 240_000).toISOString(), track: tracks[i]!, context: null })
  const exported = tracks.slice(20).map((track, i) => exportEntry({
    ts: new Date(Date.parse('2025-06-01T00:00:00Z') + i * 600_000).toISOString().replace('.000', ''),
    ms_played: 150_000 + i,
    spotify_track_uri: track.uri,
    master_metadata_track_name: track.name,
    master_metadata_album_artist_name: track.artists[0].name,
    master_metadata_album_album_name: track.album.name,
  }))
  exported.push(podcastEntry('2025-06-02T00:00:00Z'))
  for (let i = 0; i < 5; i++) {
    listenbrainz.listens.push({
      listened_at: Math.floor(Date.parse('2026-11-02T10:00:00Z') / 1000) + i * 300,
      track_metadata: { artist_name: 'Local Band', track_name: `Demo ${i}`, release_name: 'Tapes', additional_info: { submission_client: 'navidrome' } },
    })
  }
  return { catalog, exported }
}

/** What MusicBrainz knows of the e2e's Spotify artists, and the answer each must get. */
interface MusicBrainzWorld {
  /** Spotify artist id → the MBID and the way it must be found */
  expected: Map<string, { mbid: string, method: 'url-relation' | 'isrc' | 'name' }>
  places: Places
}

/**
 * The fake MusicBrainz for the e2e's catalog: Artists 0–19 carry a Spotify URL relation, 20–29 are known by their
 * tracks' ISRCs only, 30–34 by name only (a recording titled like a played track), 35–39 and every "new Artist" are
 * unknown (the new ones' ISRCs are the same as Artists 0–29's: MusicBrainz lists them under those). The artists live in
 * cities in chains of 2 to 4 areas, sharing parents; a third have a begin area in another of those cities, the others
 * in a town of their own.
 */
function seedMusicBrainz (fake: FakeMusicBrainz, spotify: FakeSpotify, catalog: ReturnType<typeof seedCatalog>): MusicBrainzWorld {
  const places = seedPlaces(fake)
  const cities = [places.seattle, places.milwaukee, places.leipzig, places.munich, places.portree, places.gangnam, places.stalinstadt]
  // One more lookup each: 44 areas take MusicBrainz at 20/s over 2 s, so the walk always outlasts the hierarchy
  // workflow's 1 s time box (with the 7 cities alone, a quiet machine walked them all in one call).
  const townsIn = (parent: FakeArea, names: string[]) => names.map((name) => fake.addArea({ name, type: 'City', parent }))
  const towns = [
    ...townsIn(places.washington, ['Tacoma', 'Spokane', 'Olympia', 'Bellingham', 'Yakima']),
    ...townsIn(places.wisconsin, ['Madison', 'Green Bay', 'Kenosha', 'Appleton', 'Oshkosh']),
    ...townsIn(places.saxony, ['Dresden', 'Chemnitz', 'Zwickau', 'Görlitz', 'Plauen']),
    ...townsIn(places.bavaria, ['Nuremberg', 'Augsburg', 'Regensburg', 'Würzburg']),
    ...townsIn(places.scotland, ['Glasgow', 'Edinburgh', 'Aberdeen', 'Dundee']),
  ]
  const expected: MusicBrainzWorld['expected'] = new Map()
  const tracksOf = (artistId: string) => [...spotify.tracks.values()].filter((t) => t.artists[0].id === artistId)
  catalog.artistIds.forEach((spotifyId, a) => {
    if (a >= 35) return
    const name = `Artist ${a}`
    const artist = fake.addArtist({
      name,
      type: a % 2 === 0 ? 'Group' : 'Person',
      area: cities[a % cities.length],
      beginArea: a % 3 === 0 ? cities[(a + 2) % cities.length] : towns.shift(),
      tags: { rock: 1 + (a % 4), 'seen live': 2 },
      spotifyId: a < 20 ? spotifyId : undefined,
    })
    if (a < 20) {
      expected.set(spotifyId, { mbid: artist.id, method: 'url-relation' })
    } else if (a < 30) {
      for (const track of tracksOf(spotifyId)) fake.addRecording({ title: track.name, isrcs: [track.external_ids.isrc], credits: [artist] })
      expected.set(spotifyId, { mbid: artist.id, method: 'isrc' })
    } else {
      fake.addRecording({ title: `Song ${a}.0`, credits: [artist] })
      expected.set(spotifyId, { mbid: artist.id, method: 'name' })
    }
  })
  return { expected, places }
}

const phases: Array<{ name: string, run: (ctx: Context) => Promise<void> }> = [
  {
    name: 'Track Ingestion polls Spotify and ListenBrainz',
    async run (ctx) {
      await ctx.execute('Track Ingestion')
      const plays = await ctx.table('tracks_played')
      assert.equal(plays.filter((p) => p.source === 'spotify-api').length, 30, 'polled plays')
      assert.equal(plays.filter((p) => p.source === 'listenbrainz').length, 5, 'ListenBrainz plays')
    },
  },
  {
    name: 'Spotify Track Resolution resolves every imported track, or records why not',
    async run (ctx) {
      const [summary] = await ctx.execute('Spotify Track Resolution')
      assert.equal(summary?.totals?.failed, 0, 'no failed batches')
      assert.equal(summary?.totals?.written, summary?.totals?.batches, 'every batch written')
      const plays = await ctx.table('tracks_played')
      const unresolved = plays.filter((p) => p.track_id && !p.artist_id)
      const failures = await ctx.table('enrichment_failures')
      const missing = failures.filter((f) => f.resource === 'tracks')
      assert.deepEqual([...new Set(unresolved.map((p) => p.track_id))], [ctx.catalog.trackIds[79]], 'only the vanished track stays unresolved')
      assert.deepEqual(missing.map((f) => [f.entity_id, f.http_status]), [[ctx.catalog.trackIds[79], 404]])
      assert.match(missing[0]!.reason, /not found/)
    },
  },
  {
    name: 'Spotify Artist and Album Enrichment enrich each once or record a failure with its reason',
    async run (ctx) {
      const [artists] = await ctx.execute('Spotify Artist Enrichment')
      const albumSummaries = await ctx.execute('Spotify Album Enrichment')
      const [albums] = albumSummaries
      assert.ok(artists?.totals?.done >= 1 && albums?.totals?.done >= 1, 'the summaries report done batches')
      assert.ok(albums?.totals?.batches > 1, 'albums came in several batches')
      assert.equal(albumSummaries.length, 1, 'one summary item, however many batches')
      assert.equal(albums?.totals?.written, albums?.totals?.batches, 'every album batch written')
      const plays = await ctx.table('tracks_played')
      const failures = await ctx.table('enrichment_failures')
      for (const [resource, column, key] of [['artists', 'artist_ids', 'artist_id'], ['albums', 'album_id', 'album_id']] as const) {
        const wanted = new Set(plays.flatMap((p) => (Array.isArray(p[column]) ? p[column] : [p[column]])).filter(Boolean))
        const stored = new Set((await ctx.table(`spotify_${resource}`)).map((r) => r[key]))
        const failed = new Set(failures.filter((f) => f.resource === resource).map((f) => f.entity_id))
        for (const id of wanted) assert.ok(stored.has(id) !== failed.has(id), `${resource} ${id}: enriched or failed, exactly one`)
        assert.equal(failed.size, 1, `one ${resource} failure`)
        for (const id of wanted) assert.ok(ctx.spotify.server.count(`/v1/${resource}/${id}`) <= 1, `${resource} ${id} called at most once`)
      }
      assert.ok(failures.every((f) => typeof f.reason === 'string' && f.reason.length > 0), 'every failure has a reason')
    },
  },
  {
    name: 'A second run changes no row and calls Spotify for nothing (empty plans flow through)',
    async run (ctx) {
      const tables = ['tracks_played', 'spotify_tracks', 'spotify_artists', 'spotify_artist_genre', 'spotify_albums', 'enrichment_failures']
      const before = await snapshot(ctx, tables)
      const calls = ctx.spotify.catalogCalls()
      for (const name of ['Spotify Track Resolution', 'Spotify Artist Enrichment', 'Spotify Album Enrichment']) {
        const [summary] = await ctx.execute(name)
        assert.equal(summary?.total, 0, `${name}: empty plan`)
        assert.equal(summary?.totals?.batches, 0, `${name}: the summary comes through`)
      }
      assert.equal(ctx.spotify.catalogCalls(), calls, 'no Spotify catalog call')
      assert.equal(await snapshot(ctx, tables), before, 'no row changed')
    },
  },
  {
    name: 'After a rate-limited batch the remaining batches are not sent',
    async run (ctx) {
      const fresh = seedCatalog(ctx.spotify, { artists: 30, devMode: true, prefix: 'new ' })
      const tracks = fresh.trackIds.map((id) => ctx.spotify.tracks.get(id)!)
      const start = Date.parse('2026-11-10T08:00:00Z')
      tracks.forEach((track, i) => ctx.spotify.plays.push({ played_at: new Date(start + i * 240_000).toISOString(), track, context: null }))
      await ctx.execute('Track Ingestion')
      ctx.spotify.options.quota = 1
      const [summary] = await ctx.execute('Spotify Album Enrichment')
      assert.equal(summary?.totals?.rateLimited, 1, 'one rate-limited batch')
      assert.equal(summary?.totals?.done, 0)
      const runs = (await ctx.service.call('GET', '/v1/runs?step=spotify.albums.fetch&limit=100')).body.runs as Row[]
      assert.equal(runs.filter((r) => r.planId === summary.planId).length, 1, 'only the first batch was fetched')
      const failures = await ctx.table('enrichment_failures')
      assert.equal(failures.filter((f) => f.resource === 'albums').length, 1, 'a rate limit is never recorded as a failure')
    },
  },
  {
    name: 'MBZ Artist Discovery counts every played artist not matched yet',
    async run (ctx) {
      const [answer] = await ctx.execute('MBZ Artist Discovery')
      const played = new Set((await ctx.table('tracks_played')).flatMap((p) => (p.artist_ids?.length ? p.artist_ids : [p.artist_id])).filter(Boolean))
      assert.equal(answer?.new, played.size, 'every played artist is new to MusicBrainz matching')
      assert.equal(answer?.sample?.length, 10, 'a sample of the 10 most played')
      assert.equal(ctx.musicbrainz.calls(), 0, 'discovery calls nobody')
    },
  },
  {
    name: 'MBZ Artist Enrichment matches each artist with its method, or records a miss with its reason',
    async run (ctx) {
      const [summary] = await ctx.execute('MBZ Artist Enrichment')
      assert.equal(summary?.totals?.failed, 0, 'no failed batches')
      assert.equal(summary?.totals?.written, summary?.totals?.batches, 'every batch written')
      const played = new Set((await ctx.table('tracks_played')).flatMap((p) => (p.artist_ids?.length ? p.artist_ids : [p.artist_id])).filter(Boolean))
      const matches = new Map((await ctx.table('mbz_artist_match')).map((m) => [m.spotify_id, m]))
      const misses = new Map((await ctx.table('enrichment_failures')).filter((f) => f.stage === 'musicbrainz' && f.resource === 'artists').map((f) => [f.entity_id, f]))
      for (const id of played) {
        const want = ctx.mbz.expected.get(id)
        if (want) {
          assert.equal(matches.get(id)?.mbid, want.mbid, `${id}: matched to the right MBID`)
          assert.equal(matches.get(id)?.method, want.method, `${id}: by ${want.method}`)
          assert.ok(matches.get(id)!.confidence > 0.5, `${id}: confidence`)
          assert.ok(!misses.has(id), `${id}: not a miss`)
        } else {
          assert.ok(!matches.has(id), `${id}: no MBID`)
          assert.match(misses.get(id)?.reason ?? '', /^no Spotify URL relation; .*ISRC.*; name search: /, `${id}: a miss saying what was tried`)
        }
      }
      for (const method of ['url-relation', 'isrc', 'name']) assert.ok([...matches.values()].some((m) => m.method === method), `some matched by ${method}`)
      const info = await ctx.table('mbz_artist_info')
      assert.equal(info.length, ctx.mbz.expected.size, 'details of every matched artist')
      assert.ok((await ctx.table('mbz_artist_genre')).every((g) => g.genre === 'rock'), 'genres are the tags that are genres')
      assert.equal(ctx.musicbrainz.calls('genre'), 1, 'the genre list fetched once')
      assert.equal(ctx.musicbrainz.served503, 0, 'never faster than the rate')
    },
  },
  {
    name: 'MBZ Data Parsing finds the details parsed already and changes nothing',
    async run (ctx) {
      const before = await snapshot(ctx, ['mbz_artist_info', 'mbz_artist_genre'])
      const calls = ctx.musicbrainz.calls()
      const [answer] = await ctx.execute('MBZ Data Parsing')
      assert.equal(answer?.done, true, 'done')
      assert.equal(answer?.artists, 0, 'nothing to change')
      assert.equal(await snapshot(ctx, ['mbz_artist_info', 'mbz_artist_genre']), before, 'no row changed')
      assert.equal(ctx.musicbrainz.calls(), calls, 'parsing calls nobody')
    },
  },
  {
    name: 'MBZ Hierarchy Processing walks every area up to its country, each area fetched once, looping until done',
    async run (ctx) {
      const [answer] = await ctx.execute('MBZ Hierarchy Processing')
      assert.equal(answer?.done, true, 'the loop ends done')
      const runs = (await ctx.service.call('GET', '/v1/runs?step=musicbrainz.areas.hierarchy&limit=100')).body.runs as Row[]
      assert.ok(runs.length > 1, `the 1 s time box made the workflow call the step ${runs.length} times`)
      const info = await ctx.table('mbz_artist_info')
      const wanted = new Set(info.flatMap((r) => [r.area_id, r.begin_area_id, r.end_area_id]).filter(Boolean))
      const rows = await ctx.table('mbz_area_hierarchy')
      assert.deepEqual(new Set(rows.map((r) => r.area_id)), wanted, 'a row for every area of a matched artist')
      for (const row of rows) assert.match(row.country_code ?? '', /^[A-Z]{2}$/, `${row.area_name}: a country code`)
      assert.ok(rows.some((r) => r.subdivision_code === 'US-WA' && r.city === 'Seattle'), 'Seattle → Washington → US')
      assert.ok(rows.some((r) => r.city === 'Stalinstadt' && r.country_code === 'XG'), 'an ended parent')
      const lookups = new Map<string, number>()
      for (const r of ctx.musicbrainz.server.requests) if (r.path.startsWith('/ws/2/area/')) lookups.set(r.path, (lookups.get(r.path) ?? 0) + 1)
      assert.equal(ctx.musicbrainz.served503, 0, 'never faster than the rate')
      assert.ok([...lookups.values()].every((n) => n === 1), 'each area fetched once')
      assert.equal(lookups.size, (await ctx.table('mbz_areas')).length, 'every area fetched is kept')
    },
  },
  {
    name: 'A second MusicBrainz run calls MusicBrainz for nothing new and changes no row',
    async run (ctx) {
      const tables = ['mbz_artist_match', 'mbz_artist_info', 'mbz_artist_genre', 'mbz_areas', 'mbz_area_hierarchy', 'enrichment_failures']
      const before = await snapshot(ctx, tables)
      const calls = ctx.musicbrainz.calls()
      const [discovered] = await ctx.execute('MBZ Artist Discovery')
      assert.equal(discovered?.new, 0, 'nothing new to match')
      const [summary] = await ctx.execute('MBZ Artist Enrichment')
      assert.equal(summary?.total, 0, 'an empty plan')
      // The area answers the hierarchy landed are parsed now (the daily order is parse, then hierarchy): same rows.
      const [parsed] = await ctx.execute('MBZ Data Parsing')
      assert.deepEqual([parsed?.done, parsed?.artists, parsed?.areas, parsed?.hierarchy], [true, 0, 0, 0], 'parsing changes nothing')
      assert.equal((await ctx.execute('MBZ Hierarchy Processing'))[0]?.processed, 0, 'no area left')
      assert.equal(ctx.musicbrainz.calls(), calls, 'no MusicBrainz call')
      assert.equal(await snapshot(ctx, tables), before, 'no row changed')
    },
  },
]

// Geography phases: they read the mbz_area_hierarchy rows the MusicBrainz phases (before them) produce.

/** Places whose coordinates the gazetteer must get right whenever the MusicBrainz fake names them. */
const knownPlaces: Record<string, [number, number]> = {
  'London,GB': [51.51, -0.13],
  'Portland,OR,US': [45.52, -122.68],
  'Portland,ME,US': [43.66, -70.26],
  'Seattle,WA,US': [47.61, -122.33],
  'Nashville,TN,US': [36.17, -86.78],
  'Manchester,GB': [53.48, -2.24],
  'Berlin,DE': [52.52, 13.41],
  'Stockholm,SE': [59.33, 18.07],
  'Reykjavik,IS': [64.14, -21.9],
  'Tokyo,JP': [35.69, 139.69],
  'Melbourne,AU': [-37.81, 144.96],
  'Montreal,CA': [45.51, -73.59],
  'Moscow,RU': [55.75, 37.62],
}

/** Loud, because a skipped phase proves nothing: the MusicBrainz phases have to produce area rows first. */
function skipWithoutAreas (phase: string): void {
  log(`!!!!!!!! ${phase}: SKIPPED the lake checks: mbz_area_hierarchy has no rows (no MusicBrainz phase produced any); the workflow ran on an empty table only`)
}

const geographyPhases: Array<{ name: string, run: (ctx: Context) => Promise<void> }> = [
  {
    name: 'Geography Base Enrichment adds continent, codes and params to every area',
    async run (ctx) {
      const [last] = await ctx.execute('Geography Base Enrichment')
      assert.equal(last?.done, true, 'the workflow ends on a done answer')
      const areas = await ctx.table('mbz_area_hierarchy')
      if (areas.length === 0) return skipWithoutAreas('Geography Base Enrichment')
      for (const area of areas) {
        const what = `${area.area_name} (${area.area_id})`
        assert.ok(area.geo_at, `${what}: geo_at set`)
        // MusicBrainz's XE (Europe) and XW (Worldwide) are no country.
        const hasCountry = /^[A-Z]{2}$/.test(area.country_code ?? '') && !['XE', 'XW'].includes(area.country_code)
        if (hasCountry) {
          assert.match(area.continent_code ?? '', /^(AF|AN|AS|EU|NA|OC|SA)$/, `${what}: continent code`)
          assert.ok(area.continent, `${what}: continent`)
        }
        if (hasCountry && (area.city || area.municipality || area.district)) assert.ok(area.params, `${what}: params`)
        if (area.params) {
          assert.match(area.params, /^[^,]+,[A-Z]{2}(,US)?$/, `${what}: params shape`)
          if (area.country_code === 'US' && area.state_code) assert.ok(area.params.endsWith(`,${area.state_code},US`), `${what}: City,ST,US`)
        }
        if (area.subdivision_code?.startsWith('US-') && area.country_code === 'US') assert.equal(area.state_code, area.subdivision_code.slice(3), `${what}: state code`)
      }
      log(`  ${areas.length} areas, ${areas.filter((a) => a.params).length} with params, continents ${[...new Set(areas.map((a) => a.continent_code))].join(' ')}`)
    },
  },
  {
    name: 'Geography Coordinate Enrichment geocodes every place offline, or records the miss with its reason',
    async run (ctx) {
      const [summary] = await ctx.execute('Geography Coordinate Enrichment')
      assert.equal(summary?.totals?.failed ?? 0, 0, 'no failed batches')
      assert.equal(summary?.totals?.written ?? 0, summary?.totals?.batches ?? 0, 'every batch written')
      const areas = await ctx.table('mbz_area_hierarchy')
      if (areas.length === 0) return skipWithoutAreas('Geography Coordinate Enrichment')
      const wanted = new Set(areas.map((a) => a.params).filter(Boolean))
      const cities = new Map((await ctx.table('cities_with_lat_long')).map((c) => [c.params, c]))
      const misses = new Map((await ctx.table('enrichment_failures')).filter((f) => f.stage === 'geography' && f.resource === 'cities').map((f) => [f.entity_id, f]))
      for (const params of wanted) {
        assert.ok(cities.has(params) !== misses.has(params), `${params}: coordinates or a miss, exactly one`)
        const city = cities.get(params)
        if (city) {
          assert.equal(city.provider, 'geonames', `${params}: offline`)
          assert.ok(typeof city.lat === 'number' && typeof city.lon === 'number', `${params}: coordinates`)
        } else {
          assert.match(misses.get(params)!.reason, /knows no place/, `${params}: the miss says why`)
        }
      }
      for (const [params, [lat, lon]] of Object.entries(knownPlaces)) {
        const city = cities.get(params)
        if (!wanted.has(params)) continue
        assert.ok(city, `${params}: a known place has coordinates`)
        assert.ok(Math.abs(city.lat - lat) < 0.3 && Math.abs(city.lon - lon) < 0.3, `${params}: ${city.lat},${city.lon} is near ${lat},${lon}`)
      }
      log(`  ${wanted.size} places: ${cities.size} with coordinates, ${misses.size} misses`)
    },
  },
  {
    name: 'Coordinates posted by hand stick; a second geography run changes nothing',
    async run (ctx) {
      const misses = (await ctx.table('enrichment_failures')).filter((f) => f.stage === 'geography')
      const manual = misses[0]?.entity_id
      if (manual) {
        const posted = await ctx.service.call('POST', '/v1/geography/cities/write', { records: [{ params: manual, lat: 10.5, lon: 20.25 }] })
        assert.equal(posted.status, 200, `hand-posted coordinates answered ${posted.status}`)
      }
      const tables = ['mbz_area_hierarchy', 'cities_with_lat_long', 'enrichment_failures']
      const before = await snapshot(ctx, tables)
      const [base] = await ctx.execute('Geography Base Enrichment')
      assert.equal(base?.processed, 0, 'no area done twice')
      const [summary] = await ctx.execute('Geography Coordinate Enrichment')
      assert.equal(summary?.total, 0, 'empty plan: misses wait out their backoff, hand-posted rows are never planned')
      assert.equal(await snapshot(ctx, tables), before, 'no row changed')
      if (manual) {
        const row = (await ctx.table('cities_with_lat_long')).find((c) => c.params === manual)
        assert.deepEqual([row?.provider, row?.lat, row?.lon], ['manual', 10.5, 20.25], 'the hand-posted row is kept')
      }
    },
  },
]
phases.push(...geographyPhases)

// Daily ETL phases: new plays first, so that the first run has work in every stage; then the same run again.

/** Spotify artist ids of every play (every credited artist). */
const playedArtists = async (ctx: Context): Promise<Set<string>> =>
  new Set((await ctx.table('tracks_played')).flatMap((p) => (p.artist_ids?.length ? p.artist_ids : [p.artist_id])).filter(Boolean))

/** What each fake upstream has been asked so far. */
const upstreamRequests = (ctx: Context) => ({
  spotify: ctx.spotify.server.requests.length,
  musicbrainz: ctx.musicbrainz.server.requests.length,
  openweather: ctx.openweather.server.requests.length,
  listenbrainz: ctx.listenbrainz.server.requests.length,
})

async function allTables (ctx: Context): Promise<string[]> {
  const answer = await ctx.service.call('GET', '/v1/tables')
  return (answer.body.tables as Row[]).map((t) => t.name as string)
}

/** Runs Daily ETL; answers the summary it ends with, and the run records of its window. */
async function runDaily (ctx: Context): Promise<{ summary: Row, runs: Row[] }> {
  const items = await ctx.execute('Daily ETL')
  assert.equal(items.length, 1, 'Daily ETL ends with one item')
  const summary = items[0]!
  assert.deepEqual(summary.stages?.map((s: Row) => s.step), dailyChain.map((s) => s.name), `the summary names every stage, in order; Daily ETL ended with ${JSON.stringify(summary).slice(0, 2000)}`)
  for (const stage of summary.stages) log(`  ${stage.step}: ${stage.status} (${stage.processed}/${stage.total}, ${stage.calls} calls, ${stage.upstreamCalls} upstream)${stage.message ? ` ${stage.message}` : ''}`)
  assert.equal(summary.complete, true, 'the run log holds every call of the run')
  const runs = ((await ctx.service.call('GET', '/v1/runs?limit=1000')).body.runs as Row[])
    .filter((r) => Date.parse(r.startedAt) >= Date.parse(summary.since))
    .reverse()
  return { summary, runs }
}

/** Each stage ran once: a granular stage planned once, and no call of a stage began before the previous stage ended. */
function assertOneStraightRun (runs: Row[]): void {
  let previousEnd = Number.NEGATIVE_INFINITY
  for (const step of dailyChain) {
    const name = recordName(step)
    const own = runs.filter((r) => (step.kind === 'granular' ? r.step.startsWith(`${name}.`) : r.step === name))
    assert.ok(own.length > 0, `${step.name}: called`)
    if (step.kind === 'granular') assert.equal(own.filter((r) => r.step === `${name}.plan`).length, 1, `${step.name}: planned once`)
    const first = Math.min(...own.map((r) => Date.parse(r.startedAt)))
    // Start and duration are whole milliseconds, each rounded: allow for it.
    assert.ok(first >= previousEnd - 2, `${step.name} began after the stage before it ended`)
    previousEnd = Math.max(...own.map((r) => Date.parse(r.startedAt) + r.durationMs))
  }
}

const dailyPhases: Array<{ name: string, run: (ctx: Context) => Promise<void> }> = [
  {
    name: 'New plays arrive (new artists, albums and places); the service now geocodes with OpenWeather',
    async run (ctx) {
      // The rate-limit phase spent the quota: the albums it left wait for this run.
      ctx.spotify.options.quota = Number.POSITIVE_INFINITY
      await ctx.restartService({ GEOCODER: 'openweather', OPENWEATHER_API_KEY: ctx.openweather.apiKey, OPENWEATHER_URL: ctx.openweather.url })
      const fresh = seedCatalog(ctx.spotify, { artists: 6, tracksPerArtist: 2, devMode: true, prefix: 'daily ' })
      const mb = ctx.musicbrainz
      const { unitedStates, unitedKingdom, germany, bavaria } = ctx.mbz.places
      const portland = mb.addArea({ name: 'Portland', type: 'City', parent: mb.addArea({ name: 'Oregon', type: 'Subdivision', iso2: ['US-OR'], parent: unitedStates }) })
      const london = mb.addArea({ name: 'London', type: 'City', parent: mb.addArea({ name: 'England', type: 'Subdivision', iso2: ['GB-ENG'], parent: unitedKingdom }) })
      const halle = mb.addArea({ name: 'Halle', type: 'City', parent: mb.addArea({ name: 'Saxony-Anhalt', type: 'Subdivision', iso2: ['DE-ST'], parent: germany }) })
      // A place OpenWeather does not know: a miss with its reason.
      const nowhere = mb.addArea({ name: 'Neverwhere', type: 'City', parent: bavaria })
      const homes = [portland, london, halle, nowhere, portland]
      // daily Artists 0–4 carry a Spotify URL relation; daily Artist 5 is unknown to MusicBrainz.
      fresh.artistIds.slice(0, 5).forEach((spotifyId, a) => {
        const artist = mb.addArtist({ name: `daily Artist ${a}`, type: 'Group', area: homes[a], tags: { rock: 2 }, spotifyId })
        ctx.mbz.expected.set(spotifyId, { mbid: artist.id, method: 'url-relation' })
      })
      const tracks = fresh.trackIds.map((id) => ctx.spotify.tracks.get(id)!)
      // Artists 0–2 are polled from recently played; 3–5 come in an export, so their tracks need resolving.
      const start = Date.parse('2026-11-20T08:00:00Z')
      tracks.slice(0, 6).forEach((track, i) => ctx.spotify.plays.push({ played_at: new Date(start + i * 240_000).toISOString(), track, context: null }))
      const exported = tracks.slice(6).map((track, i) => exportEntry({
        ts: new Date(Date.parse('2026-11-15T00:00:00Z') + i * 600_000).toISOString().replace('.000', ''),
        ms_played: 180_000 + i,
        spotify_track_uri: track.uri,
        master_metadata_track_name: track.name,
        master_metadata_album_artist_name: track.artists[0].name,
        master_metadata_album_album_name: track.album.name,
      }))
      const imported = await ctx.service.call('POST', '/v1/ingest/streaming-history?file=Streaming_History_Audio_2026.json', exported)
      assert.equal(imported.body?.inserted, 6, 'the export plays are in')
      const polled = await ctx.service.call('POST', '/v1/ingest/recently-played', {})
      assert.equal(polled.body?.inserted, 6, 'the polled plays are in')
    },
  },
  {
    name: 'Daily ETL runs every stage once, in order, each with work to do, and ends with one summary',
    async run (ctx) {
      const before = upstreamRequests(ctx)
      const { summary, runs } = await runDaily(ctx)
      const status = Object.fromEntries(summary.stages.map((s: Row) => [s.step, s.status]))
      for (const step of dailyChain) {
        // Parsing finds the details already parsed by matching's write; retention has nothing old enough to drop.
        const allowed = ['musicbrainz-parse', 'raw-retention'].includes(step.name) ? ['done', 'nothing_to_do'] : ['done']
        assert.ok(allowed.includes(status[step.name]), `${step.name}: ${status[step.name]}, wanted ${allowed.join(' or ')}`)
      }
      assert.equal(summary.counts.failed + summary.counts.not_run, 0, 'nothing failed, nothing skipped')
      assert.match(summary.headline, /^12 stages: \d+ done/)
      assertOneStraightRun(runs)
      const after = upstreamRequests(ctx)
      assert.ok(after.spotify > before.spotify && after.musicbrainz > before.musicbrainz && after.openweather > before.openweather, 'Spotify, MusicBrainz and OpenWeather were asked')
      assert.equal(after.listenbrainz, before.listenbrainz, 'ingestion is not part of the Daily ETL')
      assert.equal(ctx.musicbrainz.served503, 0, 'never faster than MusicBrainz\'s rate')

      // Every played artist is matched with the right MBID, or a miss saying what was tried.
      const matches = new Map((await ctx.table('mbz_artist_match')).map((m) => [m.spotify_id, m]))
      const failures = await ctx.table('enrichment_failures')
      const misses = new Map(failures.filter((f) => f.stage === 'musicbrainz' && f.resource === 'artists').map((f) => [f.entity_id, f]))
      const played = await playedArtists(ctx)
      for (const id of played) {
        const want = ctx.mbz.expected.get(id)
        if (want) assert.deepEqual([matches.get(id)?.mbid, matches.get(id)?.method], [want.mbid, want.method], `${id}: matched by ${want.method}`)
        else assert.match(misses.get(id)?.reason ?? '', /^no Spotify URL relation; .*ISRC.*; name search: /, `${id}: a miss with its reason`)
      }
      // Update MBIDs: the matched artists and their plays carry the MBID.
      const artists = new Map((await ctx.table('spotify_artists')).map((a) => [a.artist_id, a]))
      for (const [id, match] of matches) if (artists.has(id)) assert.equal(artists.get(id)!.artist_mbid, match.mbid, `${id}: artist_mbid`)
      const plays = await ctx.table('tracks_played')
      const dailyPlays = plays.filter((p) => ctx.mbz.expected.has(p.artist_id) && String(p.track_name ?? '').startsWith('daily '))
      assert.ok(dailyPlays.length >= 10 && dailyPlays.every((p) => p.artist_mbids?.[0] === matches.get(p.artist_id)?.mbid), 'the new plays carry their artist MBIDs')

      // Every area of a matched artist is in the hierarchy with its country; every place has coordinates or a miss.
      const info = await ctx.table('mbz_artist_info')
      const areas = new Map((await ctx.table('mbz_area_hierarchy')).map((a) => [a.area_id, a]))
      for (const id of new Set(info.flatMap((r) => [r.area_id, r.begin_area_id, r.end_area_id]).filter(Boolean))) {
        assert.match(areas.get(id)?.country_code ?? '', /^[A-Z]{2}$/, `area ${id}: in the hierarchy with a country`)
      }
      const cities = new Map((await ctx.table('cities_with_lat_long')).map((c) => [c.params, c]))
      const placeMisses = new Map(failures.filter((f) => f.stage === 'geography').map((f) => [f.entity_id, f]))
      for (const params of new Set([...areas.values()].map((a) => a.params).filter(Boolean))) {
        assert.ok(cities.has(params) !== placeMisses.has(params), `${params}: coordinates or a miss, exactly one`)
      }
      const portland = cities.get('Portland,OR,US')
      assert.equal(portland?.provider, 'openweather', 'a new place geocoded by OpenWeather')
      assert.ok(Math.abs(portland.lat - 45.52) < 0.1 && Math.abs(portland.lon + 122.67) < 0.1, 'Portland, Oregon (not Maine)')
      assert.ok(cities.has('London,GB') && cities.has('Halle,DE'), 'London and Halle have coordinates')
      assert.match(placeMisses.get('Neverwhere,DE')?.reason ?? '', /knows no place/, 'the unknown place is a miss with its reason')

      // The warehouse: built, its tests passed, facts reconcile with the plays and join every dimension.
      const warehouse = (await ctx.service.call('GET', '/v1/warehouse')).body
      assert.equal(warehouse.built, true, 'the warehouse is built')
      assert.equal(warehouse.tests.failed, 0, 'its model tests passed')
      const reader = createWarehouseReader({ file: path.join(ctx.dataDir, warehouse.file) })
      try {
        const [facts] = await reader.query('SELECT count(*)::INTEGER AS n FROM fact_track_played')
        assert.equal(facts!.n, plays.filter((p) => p.counts_as_play).length, 'one fact per play that counts')
        for (const [dim, key] of [['dim_date', 'date'], ['dim_time', 'minute_of_day'], ['dim_track', 'track_id'], ['dim_album', 'album_id'], ['dim_artist', 'artist_id']]) {
          const [orphans] = await reader.query(`SELECT count(*)::INTEGER AS n FROM fact_track_played f ANTI JOIN ${dim} d ON d.${key} = f.${key}`)
          assert.equal(orphans!.n, 0, `every fact joins ${dim}`)
        }
        const perSource = await reader.query('SELECT source, count(*)::INTEGER AS n FROM fact_track_played GROUP BY source ORDER BY source')
        const lakeSources = Object.entries(Object.groupBy(plays.filter((p) => p.counts_as_play), (p) => p.source)).map(([source, rows]) => ({ source, n: rows!.length })).sort((a, b) => a.source.localeCompare(b.source))
        assert.deepEqual(perSource, lakeSources, 'facts per source reconcile with tracks_played')
        const portlandArtist = [...ctx.musicbrainz.artists.values()].find((a) => a.name === 'daily Artist 0')!.spotifyIds[0]!
        const [row] = await reader.query('SELECT artist_mbid, city, state_code, country_code, lat, lon FROM dim_artist WHERE artist_id = $id', { id: portlandArtist })
        assert.equal(row?.artist_mbid, matches.get(portlandArtist)?.mbid, 'dim_artist carries the MBID')
        assert.deepEqual([row?.city, row?.state_code, row?.country_code], ['Portland', 'OR', 'US'], `dim_artist: where daily Artist 0 is from: ${JSON.stringify(row)}`)
        assert.ok(Math.abs(Number(row?.lat) - 45.52) < 0.1 && Math.abs(Number(row?.lon) + 122.67) < 0.1, 'dim_artist: its coordinates')
      } finally {
        await reader.close()
      }
    },
  },
  {
    name: 'A second Daily ETL calls no upstream (every plan is empty) and changes no lake row',
    async run (ctx) {
      const tables = await allTables(ctx)
      const rowsBefore = await snapshot(ctx, tables)
      const before = upstreamRequests(ctx)
      const martsBefore = (await ctx.service.call('GET', '/v1/warehouse')).body.models
      const { summary, runs } = await runDaily(ctx)
      const changed = snapshotDiff(tables, rowsBefore, await snapshot(ctx, tables))
      const status = Object.fromEntries(summary.stages.map((s: Row) => [s.step, s.status]))
      for (const step of dailyChain) {
        // The warehouse is rebuilt every run; parsing reads the area answers the last walk landed (and changes nothing).
        const allowed = step.name === 'warehouse-build' ? ['done'] : step.name === 'musicbrainz-parse' ? ['done', 'nothing_to_do'] : ['nothing_to_do']
        assert.ok(allowed.includes(status[step.name]), `${step.name}: ${status[step.name]}, wanted ${allowed.join(' or ')}; rows changed:\n${changed}`)
      }
      assert.equal(summary.stages.reduce((n: number, s: Row) => n + s.upstreamCalls, 0), 0, 'no fetch called an upstream')
      assertOneStraightRun(runs)
      assert.deepEqual(upstreamRequests(ctx), before, 'no request reached Spotify, MusicBrainz, OpenWeather or ListenBrainz')
      assert.equal(await snapshot(ctx, tables), rowsBefore, 'no lake row changed')
      const martsAfter = (await ctx.service.call('GET', '/v1/warehouse')).body.models
      assert.deepEqual(martsAfter, martsBefore, 'the rebuilt warehouse holds the same rows')
    },
  },
]
phases.push(...dailyPhases)

async function main (): Promise<void> {
  await ensureN8n(log)
  log('building the service as it runs in production')
  await buildProduction()
  const dir = await makeTempDir('e2e')
  const spotify = await createFakeSpotify()
  const listenbrainz = await createFakeListenBrainz()
  const { catalog, exported } = seedUpstreams(spotify, listenbrainz)
  // MusicBrainz's own rate rule at the service's rate: a 503 would mean the shared limiter let a call through early. At
  // 20/s the default tolerance (25 ms) is below a busy machine's jitter; 250 ms still catches twice the rate at once.
  const musicbrainz = await createFakeMusicBrainz({ ratePerSec: 20, toleranceMs: 250 })
  const mbz = seedMusicBrainz(musicbrainz, spotify, catalog)
  const openweather = await createFakeOpenWeather()
  const token = 'e2e-bearer-token-0123456789'
  const dataDir = path.join(dir, 'data')
  const serviceEnv: Record<string, string> = {
    TRACKLAKE_API_TOKEN: token,
    SPOTIFY_CLIENT_ID: spotify.options.clientId,
    SPOTIFY_CLIENT_SECRET: spotify.options.clientSecret,
    SPOTIFY_REFRESH_TOKEN: spotify.options.refreshToken,
    SPOTIFY_API_URL: spotify.url,
    SPOTIFY_ACCOUNTS_URL: spotify.url,
    LISTENBRAINZ_URL: listenbrainz.url,
    LISTENBRAINZ_USER: listenbrainz.user,
    MUSICBRAINZ_URL: musicbrainz.url,
    MUSICBRAINZ_CONTACT: 'e2e@tracklake.invalid',
    MUSICBRAINZ_RATE_PER_SEC: '20',
  }
  let running = await startService(dataDir, serviceEnv)
  const logs: string[] = []
  const current = { url: running.url }
  const service = api(current, token)
  // A 1 s time box makes the until-done workflows loop.
  const n8n = await createN8n({ TRACKLAKE_URL: service.url, TRACKLAKE_API_TOKEN: token, TRACKLAKE_STEP_SECONDS: '1' })
  const ctx: Context = {
    service,
    n8n,
    spotify,
    listenbrainz,
    catalog,
    musicbrainz,
    mbz,
    openweather,
    dataDir,
    async restartService (env) {
      await running.stop()
      logs.push(...running.logs)
      Object.assign(serviceEnv, env)
      running = await startService(dataDir, serviceEnv)
      current.url = running.url
      n8n.setEnv({ TRACKLAKE_URL: running.url })
    },
    execute: async (name) => {
      const started = Date.now()
      const items = await n8n.execute(idOf(name)) as Row[]
      log(`  ran ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      return items
    },
    table: (name) => table(service, name),
  }
  let failed = false
  try {
    const imported = await service.call('POST', '/v1/ingest/streaming-history?file=Streaming_History_Audio_2025.json', exported)
    assert.equal(imported.status, 200, `export import answered ${imported.status}`)
    log(`imported ${imported.body.rows} plays from an export`)
    await n8n.importFolder(path.join(import.meta.dirname, '..', 'n8n-workflows'))
    for (const definition of Object.values(workflows)) {
      // n8n 2.x runs the published version of a sub-workflow: publish every workflow another one may call.
      if (definition.nodes.some((n) => n.type === 'n8n-nodes-base.executeWorkflowTrigger')) await n8n.publish(definition.id)
    }
    log(`imported ${Object.keys(workflows).length} workflows`)
    // E2E_PHASES=text,text runs only the phases whose names hold one of them (to chase one failure faster).
    const only = process.env.E2E_PHASES?.split(',').filter(Boolean) ?? []
    for (const phase of phases) {
      if (only.length > 0 && !only.some((text) => phase.name.includes(text))) continue
      log(phase.name)
      await phase.run(ctx)
    }
    log('all phases passed')
  } catch (err) {
    failed = true
    console.error(err)
  } finally {
    await running.stop()
    for (const line of [...logs, ...running.logs]) log(`service: ${line}`)
    await spotify.close()
    await listenbrainz.close()
    await musicbrainz.close()
    await openweather.close()
    await n8n.cleanup()
    await fs.rm(dir, { recursive: true, force: true })
  }
  process.exit(failed ? 1 : 0)
}

await main()
