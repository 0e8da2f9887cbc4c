import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { chainChanged } from '../../../src/stages/musicbrainz/areas.ts'
import { hierarchyRow } from '../../../src/stages/musicbrainz/mappers.ts'
import { runStep, tableRows } from '../../helpers/granular.ts'
import { trapWorld } from './world.ts'

type World = Awaited<ReturnType<typeof trapWorld>>
let world: World | undefined

afterEach(async () => {
  await world?.close()
  world = undefined
})

const hierarchy = (w: World, body: object = { maxSeconds: 540 }) => request(w.t.app.server).post('/v1/musicbrainz/areas/hierarchy').send(body)

/** Area lookups the fake answered, by area id. */
function areaLookups (w: World): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of w.fake.server.requests) {
    const id = /^\/ws\/2\/area\/(.+)$/.exec(r.path)?.[1]
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

describe('POST /v1/musicbrainz/areas/hierarchy', () => {
  it('walks every area of the matched artists up to the country, each area fetched once, with flat columns and codes', async () => {
    world = await trapWorld()
    const w = world
    await runStep(w.t.app, '/v1/musicbrainz/artists')
    const info = await tableRows(w.t.app, 'mbz_artist_info')
    const wanted = new Set(info.flatMap((r) => [r.area_id, r.begin_area_id, r.end_area_id]).filter(Boolean))

    const answer = await hierarchy(w)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ done: true, status: 'complete', processed: wanted.size, remaining: 0, hierarchyRows: wanted.size, failures: 0 })

    const rows = new Map((await tableRows(w.t.app, 'mbz_area_hierarchy')).map((r) => [r.area_id, r]))
    expect(new Set(rows.keys())).toEqual(wanted)
    const { places } = w
    const row = (area: { id: string }) => rows.get(area.id)
    expect(row(places.seattle)).toMatchObject({ area_type: 'City', city: 'Seattle', subdivision: 'Washington', subdivision_code: 'US-WA', country: 'United States', country_code: 'US', continent: null, params: null })
    expect(row(places.milwaukee)).toMatchObject({ city: 'Milwaukee', county: 'Milwaukee County', subdivision: 'Wisconsin', subdivision_code: 'US-WI', country_code: 'US' })
    // The ended "part of" East Germany is listed first; the current parent wins.
    expect(row(places.leipzig)).toMatchObject({ subdivision: 'Saxony', subdivision_code: 'DE-SN', country: 'Germany', country_code: 'DE' })
    // Only an ended parent: it is used.
    expect(row(places.stalinstadt)).toMatchObject({ city: 'Stalinstadt', country: 'East Germany', country_code: 'XG' })
    expect(row(places.munich)).toMatchObject({ subdivision: 'Upper Bavaria', subdivision_code: 'DE-BY', country_code: 'DE' })
    expect(row(places.munich)!.path.map((p: { name: string, type: string }) => `${p.type} ${p.name}`)).toEqual(['City Munich', 'Subdivision Upper Bavaria', 'Subdivision Bavaria', 'Country Germany'])
    expect(row(places.portree)).toMatchObject({ island: 'Isle of Skye', subdivision_code: 'GB-SCT', country_code: 'GB' })
    expect(row(places.gangnam)).toMatchObject({ district: 'Gangnam District', city: 'Seoul', country: 'South Korea', country_code: 'KR' })
    expect(row(places.southKorea)).toMatchObject({ area_type: 'Country', country_code: 'KR' })

    // Shared parents (Washington, United States, Germany …) were looked up once each.
    const lookups = areaLookups(w)
    expect([...lookups.values()].every((n) => n === 1)).toBe(true)
    const areas = await tableRows(w.t.app, 'mbz_areas')
    expect(new Set(areas.map((a) => a.id))).toEqual(new Set(lookups.keys()))
    expect(areas.find((a) => a.id === places.washington.id)).toMatchObject({ type: 'Subdivision', iso_3166_2: ['US-WA'], parent_id: places.unitedStates.id })

    // Nothing left: no call.
    const calls = w.fake.calls()
    expect((await hierarchy(w)).body).toMatchObject({ done: true, processed: 0, remaining: 0, calls: 0 })
    expect(w.fake.calls()).toBe(calls)
  })

  it('works in a time box: done: false until every area is through, each area still fetched once', async () => {
    // Each area lookup costs 10 s of the service's clock.
    const start = Date.parse('2026-11-01T00:00:00Z')
    world = await trapWorld({ deps: (fake) => ({ now: () => new Date(start + fake.calls('area') * 10_000) }) })
    const w = world
    await runStep(w.t.app, '/v1/musicbrainz/artists')
    const answers = []
    for (let i = 0; i < 30; i++) {
      const answer = (await hierarchy(w, { maxSeconds: 25 })).body
      answers.push(answer)
      if (answer.done) break
    }
    expect(answers[0]).toMatchObject({ done: false, status: 'complete' })
    expect(answers[0].remaining).toBeGreaterThan(0)
    expect(answers.at(-1)).toMatchObject({ done: true, remaining: 0 })
    expect(answers.length).toBeGreaterThan(2)
    expect(answers.reduce((sum, a) => sum + a.processed, 0)).toBe(answers[0].processed + answers[0].remaining)
    expect([...areaLookups(w).values()].every((n) => n === 1)).toBe(true)
  })

  it('leaves no half row when a lookup fails: the next call finishes the chain', async () => {
    world = await trapWorld()
    const w = world
    await runStep(w.t.app, '/v1/musicbrainz/artists')
    const washington = w.places.washington.id
    // 500 to the first attempt and both retries.
    w.fake.server.fault(`/ws/2/area/${washington}`, { kind: 'status', status: 500, json: { error: 'Internal Server Error' } }, 3)
    const failed = await hierarchy(w)
    expect(failed.status).toBe(502)
    expect(failed.body).toMatchObject({ code: 'UPSTREAM_FAILED', retryable: true })
    const seattle = w.places.seattle.id
    expect((await tableRows(w.t.app, 'mbz_area_hierarchy')).some((r) => r.area_id === seattle)).toBe(false)
    expect((await tableRows(w.t.app, 'enrichment_failures')).filter((f) => f.resource === 'areas')).toEqual([])

    const next = await hierarchy(w)
    expect(next.body).toMatchObject({ done: true, failures: 0 })
    expect((await tableRows(w.t.app, 'mbz_area_hierarchy')).find((r) => r.area_id === seattle)).toMatchObject({ subdivision_code: 'US-WA', country_code: 'US' })
    // Seattle itself was fetched by the failed call and kept: only Washington was asked again.
    expect(areaLookups(w).get(seattle)).toBe(1)
    expect(areaLookups(w).get(washington)).toBe(4)
  })

  it('records an area MusicBrainz does not know (404) as a failure with backoff, not a row', async () => {
    world = await trapWorld()
    const w = world
    await runStep(w.t.app, '/v1/musicbrainz/artists')
    // Portree vanished from MusicBrainz after the artist details were fetched.
    w.fake.areas.delete(w.places.portree.id)
    const answer = await hierarchy(w)
    expect(answer.body).toMatchObject({ done: true, failures: 1 })
    const [failure] = (await tableRows(w.t.app, 'enrichment_failures')).filter((f) => f.resource === 'areas')
    expect(failure).toMatchObject({ stage: 'musicbrainz', entity_id: w.places.portree.id, http_status: 404, attempts: 1 })
    expect(failure!.reason).toMatch(/unknown to MusicBrainz \(404\)/)
    expect((await tableRows(w.t.app, 'mbz_area_hierarchy')).some((r) => r.area_id === w.places.portree.id)).toBe(false)
    // Waiting in backoff: not tried again.
    const calls = w.fake.calls()
    expect((await hierarchy(w)).body).toMatchObject({ done: true, processed: 0 })
    expect(w.fake.calls()).toBe(calls)
  })
})

describe('chainChanged', () => {
  const eastGermany = { id: 'd907b0ac-2956-386f-a246-62d55779aae1', type: 'Country', name: 'East Germany', iso_3166_1: ['XG'], iso_3166_2: [], sort_name: null, parent_id: null, fetched_at: '2026-01-01T00:00:00.000Z' }
  const stalinstadt = { id: '790c79b3-4d62-4132-9a24-cc06641896d9', type: 'City', name: 'Stalinstadt', iso_3166_1: [], iso_3166_2: [], sort_name: null, parent_id: eastGermany.id, fetched_at: '2026-01-01T00:00:00.000Z' }

  it('leaves a row alone whose country code the geography stage settled (East Germany: XG → DE)', () => {
    const fresh = hierarchyRow([stalinstadt, eastGermany])!
    expect(fresh.country_code).toBe('XG')
    const stored = { ...fresh, country_code: 'DE', continent: 'Europe', continent_code: 'EU' as const, params: 'Stalinstadt,DE', geo_at: '2026-11-30T14:50:55.730Z' }
    expect(chainChanged(fresh, stored)).toBe(false)
  })

  it('sees a changed chain: another parent, or another code of the country', () => {
    const stored = hierarchyRow([stalinstadt, eastGermany])!
    expect(chainChanged(hierarchyRow([stalinstadt, { ...eastGermany, iso_3166_1: ['DD'] }])!, stored)).toBe(true)
    expect(chainChanged(hierarchyRow([{ ...stalinstadt, name: 'Eisenhüttenstadt' }, eastGermany])!, stored)).toBe(true)
  })
})
