import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMusicBrainzClient, type MusicBrainzClient, type MusicBrainzSend } from '../../../src/stages/musicbrainz/client.ts'
import { areaRow, artistGenreRows, artistInfoRow, hierarchyRow, walkAreaChain } from '../../../src/stages/musicbrainz/mappers.ts'
import type { AreaHierarchyRow, AreaRow } from '../../../src/stages/musicbrainz/tables.ts'
import {
  confirmNameMatch, matchByIsrc, matchByUrlRelation, missReason, nameCandidate, type ArtistMatch, type SpotifyArtist,
} from '../../../src/stages/musicbrainz/match.ts'
import { artistNameQuery } from '../../../src/stages/musicbrainz/requests.ts'
import { createFakeMusicBrainz, scaleWorld, seedTraps, type FakeMusicBrainz, type Places, type TrapCase } from '../../fakes/fake-musicbrainz.ts'
import { testSend } from './transport.ts'

/** The matching steps in the stage's order, each for the artists the previous one left, batched as the stage will. */
async function resolveAll (client: MusicBrainzClient, artists: readonly SpotifyArtist[]): Promise<{ outcomes: Map<string, ArtistMatch | string>, calls: number }> {
  const outcomes = new Map<string, ArtistMatch | string>()
  const notes = new Map<string, string[]>(artists.map((a) => [a.id, []]))
  let calls = 0
  const settle = (artist: SpotifyArtist, result: { matched: true, match: ArtistMatch } | { matched: false, note: string }): boolean => {
    if (result.matched) outcomes.set(artist.id, result.match)
    else notes.get(artist.id)!.push(result.note)
    return result.matched
  }
  const urls = await client.urlRelations(artists.map((a) => a.id))
  calls += urls.calls
  let left = artists.filter((a) => !settle(a, matchByUrlRelation(a, urls.result.linked.get(a.id))))
  const isrcs = await client.searchRecordingsByIsrc(left.flatMap((a) => a.isrcs))
  calls += isrcs.calls
  left = left.filter((a) => !settle(a, matchByIsrc(a, isrcs.result.recordings)))
  for (const artist of left) {
    const search = await client.searchArtists(artistNameQuery(artist.name))
    calls += search.calls
    const found = nameCandidate(artist, search.result.hits)
    if ('note' in found) {
      notes.get(artist.id)!.push(found.note)
    } else {
      const check = await client.countRecordings(found.candidate, artist.titles ?? [])
      calls += check.calls
      if (settle(artist, confirmNameMatch(artist, found.candidate, check.result))) continue
    }
    outcomes.set(artist.id, missReason(notes.get(artist.id)!))
  }
  return { outcomes, calls }
}

/** What the original system did: the first credit of the first recording of one ISRC (W7). */
async function originalRule (fake: FakeMusicBrainz, isrc: string): Promise<string | undefined> {
  const response = await testSend(fake.url)({ path: `/ws/2/isrc/${isrc}`, searchParams: { inc: 'artists', fmt: 'json' } })
  return (response.json as any)?.recordings?.[0]?.['artist-credit']?.[0]?.artist?.id
}

let fake: FakeMusicBrainz
let client: MusicBrainzClient
let cases: Record<string, TrapCase>
let places: Places
let outcomes: Map<string, ArtistMatch | string>

beforeAll(async () => {
  fake = await createFakeMusicBrainz({ ratePerSec: Infinity })
  client = createMusicBrainzClient({ send: testSend(fake.url) })
  ;({ cases, places } = seedTraps(fake))
  outcomes = (await resolveAll(client, Object.values(cases).map((c) => c.spotify))).outcomes
})
afterAll(async () => { await fake.close() })

function expectMatch (key: string): ArtistMatch {
  const c = cases[key]!
  const outcome = outcomes.get(c.spotify.id)
  expect(outcome, `${key}: ${c.what}`).toMatchObject({ mbid: c.mbid, method: c.method })
  return outcome as ArtistMatch
}

function expectMiss (key: string): string {
  const c = cases[key]!
  expect(c.mbid).toBeNull()
  const outcome = outcomes.get(c.spotify.id)
  expect(typeof outcome, `${key}: ${c.what} gave ${JSON.stringify(outcome)}`).toBe('string')
  return outcome as string
}

describe('matching traps', () => {
  it('a Spotify URL relation (list shape) wins first', () => {
    expect(expectMatch('linked').confidence).toBe(1)
    expectMatch('linkedCity')
  })

  it('one-resource shape: a single artist is looked up alone and still found', async () => {
    const single = await client.urlRelations([cases.linked!.spotify.id])
    expect(matchByUrlRelation(cases.linked!.spotify, single.result.linked.get(cases.linked!.spotify.id))).toMatchObject({ matched: true, match: { mbid: cases.linked!.mbid } })
  })

  it('a collaboration credited other-first maps to the artist, not the first credit', async () => {
    expectMatch('collaboration')
    expect(await originalRule(fake, 'QZLM12400001')).not.toBe(cases.collaboration!.mbid)
  })

  it('compilations: a Various Artists credit and a Various Artists release do not take the match', async () => {
    expect(expectMatch('compilation').confidence).toBe(0.87)
    expect(await originalRule(fake, 'QZMS12400001')).toBe('89ad4ac3-39f7-470e-963a-56509c546377')
  })

  it('an ISRC only on a Various Artists recording, and the Spotify "Various Artists" itself, stay unmatched', () => {
    expect(expectMiss('variousOnly')).toBe('no Spotify URL relation; 1 ISRC searched, 1 recording found, credits named Various Artists, none named Kai Brandt; name search: 0 hits')
    expect(expectMiss('variousArtists')).toContain('a "Various Artists" credit is never matched')
  })

  it('an ISRC MusicBrainz also lists under another artist maps to the right one', async () => {
    expectMatch('sharedIsrc')
    expect(await originalRule(fake, 'QZNV12400001')).not.toBe(cases.sharedIsrc!.mbid)
    expect(expectMiss('otherArtistIsrc')).toContain('credits named Tomas Greer, none named Pell Harrow')
  })

  it('a lowercase ISRC from Spotify is found', () => {
    expectMatch('lowercaseIsrc')
  })

  it('accented, "The" and "&" names match their MusicBrainz spelling', () => {
    expectMatch('accented')
    expectMatch('theName')
    expectMatch('ampersand')
  })

  it('same-name artists: more ISRCs win, a tie stays unmatched', () => {
    expect(expectMatch('isrcMajority').confidence).toBeLessThan(0.78)
    expect(expectMiss('isrcTie')).toMatch(/ambiguous: .*; name search: 2 artists named Marek; not guessing$/)
  })

  it('an artist MusicBrainz does not know stays unmatched, saying what was tried', () => {
    expect(expectMiss('unknown')).toBe('no Spotify URL relation; 1 ISRC searched, none on a MusicBrainz recording; name search: 0 hits')
  })

  it('the strict name search: one artist of that name with a played title matches; namesakes or no such recording do not', () => {
    expect(expectMatch('nameOnly').confidence).toBe(0.7)
    expect(expectMiss('namesakes')).toContain('name search: 2 artists named Echo Park')
    expect(expectMiss('nameNoRecording')).toBe('no Spotify URL relation; no valid ISRC among the played tracks; name search: 1 artist named Velvet Static (Velvet Static, ' +
      `${[...fake.artists.values()].find((a) => a.name === 'Velvet Static')!.id}), but none of its recordings is titled like the 1 played track checked`)
  })

  it('every case comes out as the world says', () => {
    for (const [key, c] of Object.entries(cases)) {
      const outcome = outcomes.get(c.spotify.id)
      expect(typeof outcome === 'string' ? null : outcome?.mbid, key).toBe(c.mbid)
    }
  })
})

describe('area traps', () => {
  async function hierarchy (ids: string[]): Promise<{ rows: Map<string, AreaHierarchyRow>, calls: number }> {
    const known = new Map<string, AreaRow>()
    const rows = new Map<string, AreaHierarchyRow>()
    let calls = 0
    for (const id of ids) {
      for (;;) {
        const chain = walkAreaChain(id, (a) => known.get(a))
        if (chain.complete) {
          rows.set(id, hierarchyRow(chain.chain)!)
          break
        }
        const answer = await client.area(chain.missingId)
        calls += answer.calls
        if (answer.result.kind !== 'area') throw new Error(`unknown area ${chain.missingId}`)
        known.set(chain.missingId, areaRow(answer.result.area, '2026-11-01T00:00:00.000Z')!)
      }
    }
    return { rows, calls }
  }

  it('walks every chain shape, fetching each area once', async () => {
    const start = fake.calls('area')
    const keys = ['seattle', 'milwaukee', 'leipzig', 'stalinstadt', 'portree', 'munich', 'gangnam', 'southKorea'] as const
    const { rows, calls } = await hierarchy(keys.map((k) => places[k].id))
    expect(calls).toBe(fake.calls('area') - start)
    const row = (k: typeof keys[number]) => rows.get(places[k].id)!
    expect(row('seattle')).toMatchObject({ city: 'Seattle', county: null, subdivision: 'Washington', subdivision_code: 'US-WA', country: 'United States', country_code: 'US' })
    expect(row('milwaukee')).toMatchObject({ city: 'Milwaukee', county: 'Milwaukee County', subdivision: 'Wisconsin', subdivision_code: 'US-WI', country_code: 'US' })
    expect(row('leipzig')).toMatchObject({ subdivision: 'Saxony', subdivision_code: 'DE-SN', country: 'Germany', country_code: 'DE' })
    expect(row('stalinstadt')).toMatchObject({ city: 'Stalinstadt', country: 'East Germany', country_code: 'XG' })
    expect(row('portree')).toMatchObject({ island: 'Isle of Skye', subdivision: 'Scotland', subdivision_code: 'GB-SCT', country_code: 'GB' })
    expect(row('munich')).toMatchObject({ subdivision: 'Upper Bavaria', subdivision_code: 'DE-BY' })
    expect(row('munich').path!.map((p) => p.name)).toEqual(['Munich', 'Upper Bavaria', 'Bavaria', 'Germany'])
    expect(row('gangnam')).toMatchObject({ district: 'Gangnam District', city: 'Seoul', country: 'South Korea', country_code: 'KR' })
    expect(row('southKorea')).toMatchObject({ area_type: 'Country', country_code: 'KR' })
    // Seattle, Washington, US, Milwaukee, its county, Wisconsin, Leipzig, Saxony, Germany, Stalinstadt, East Germany,
    // Portree, Skye, Scotland, UK, Munich, Upper Bavaria, Bavaria, Gangnam, Seoul, South Korea: 21 areas, 21 calls.
    expect(calls).toBe(21)
  })
})

describe('a 503 storm', () => {
  it('is waited out by the transport and never becomes a miss', async () => {
    const storm = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const { cases: stormCases } = seedTraps(storm)
    const plain = testSend(storm.url)
    // The stage's transport retries the same call after a 503; this stand-in does it without waiting.
    const retrying: MusicBrainzSend = async (request) => {
      for (;;) {
        const response = await plain(request)
        if (response.status !== 503) return response
      }
    }
    storm.storm(7)
    const picked = [stormCases.collaboration!, stormCases.linked!, stormCases.nameOnly!]
    const { outcomes: stormOutcomes } = await resolveAll(createMusicBrainzClient({ send: retrying }), picked.map((c) => c.spotify))
    expect(picked.map((c) => (stormOutcomes.get(c.spotify.id) as ArtistMatch).mbid)).toEqual(picked.map((c) => c.mbid))
    expect(storm.served503).toBe(7)
    await storm.close()
  })
})

describe('the bench world', () => {
  it('matches every artist in a handful of calls and fetches each area once', async () => {
    const world = await createFakeMusicBrainz({ ratePerSec: Infinity })
    const scale = scaleWorld(world, { artists: 60, linkedShare: 0.8, places: 20 })
    const scaleClient = createMusicBrainzClient({ send: testSend(world.url) })
    const { outcomes: scaled, calls } = await resolveAll(scaleClient, scale.artists.map((a) => a.spotify))
    for (const artist of scale.artists) {
      expect((scaled.get(artist.spotify.id) as ArtistMatch).method).toBe(artist.linked ? 'url-relation' : 'isrc')
      expect((scaled.get(artist.spotify.id) as ArtistMatch).mbid).toBe(artist.mbid)
    }
    expect(calls).toBe(2)
    const details = await scaleClient.artistsByMbid(scale.artists.map((a) => a.mbid))
    const genres = await scaleClient.genres()
    expect(details.calls + genres.calls).toBe(2)
    const hit = details.result.found.get(scale.artists[0]!.mbid)!
    expect(artistInfoRow(hit, scale.artists[0]!.spotify.id, 'now')?.area_id).toBe(scale.artists[0]!.areaIds[0])
    expect(artistGenreRows(hit, genres.result).length).toBeGreaterThan(0)
    // Artists share cities: fewer distinct areas than artists, each fetched once.
    expect(scale.areaIds.size).toBeLessThan(60)
    const known = new Map<string, AreaRow>()
    let areaCalls = 0
    for (const id of new Set(scale.artists.flatMap((a) => a.areaIds))) {
      for (let chain = walkAreaChain(id, (a) => known.get(a)); !chain.complete; chain = walkAreaChain(id, (a) => known.get(a))) {
        const answer = await scaleClient.area(chain.missingId)
        areaCalls += answer.calls
        if (answer.result.kind === 'area') known.set(answer.result.id, areaRow(answer.result.area, 'now')!)
      }
    }
    expect(areaCalls).toBe(scale.areaIds.size)
    await world.close()
  })
})
