import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import request from 'supertest'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spotifyFixtures } from '../../fakes/fake-spotify.ts'
import { buildTestApp, type TestApp } from '../../helpers/build-app.ts'
import { listenLocal, rawSocket, readAnswer } from '../../helpers/raw-http.ts'
import { exportEntry, exportZip, podcastEntry } from '../../helpers/export.ts'

const folder = 'Spotify Extended Streaming History'

/** The offset of the first central directory record of a zip. */
const centralRecord = (zip: Buffer): number => zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
/** A copy of `zip` with a 32-bit field of its central directory record (offset 20: compressed size, 24: uncompressed) set. */
function patchCentral (zip: Buffer, field: number, value: number): Buffer {
  const copy = Buffer.from(zip)
  copy.writeUInt32LE(value, centralRecord(copy) + field)
  return copy
}
/** A copy of `zip` with every occurrence of an entry name replaced by another of the same length. */
function renameEntry (zip: Buffer, from: string, to: string): Buffer {
  expect(to.length).toBe(from.length)
  return Buffer.from(zip.toString('latin1').split(from).join(to), 'latin1')
}

describe('POST /v1/ingest/streaming-history', () => {
  let t: TestApp

  beforeEach(async () => { t = await buildTestApp() })
  afterEach(async () => { await t.close() })

  const importJson = (entries: unknown, file = 'Streaming_History_Audio_2023.json') =>
    request(t.app.server).post(`/v1/ingest/streaming-history?file=${encodeURIComponent(file)}`).set('content-type', 'application/json').send(JSON.stringify(entries))
  const importZip = (zip: Buffer) =>
    request(t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/zip').send(zip)
  const plays = async () => (await request(t.app.server).get('/v1/tables/tracks_played?limit=1000')).body.rows as Array<Record<string, unknown>>
  const quarantined = async () => (await request(t.app.server).get('/v1/tables/quarantine?limit=1000')).body.rows as Array<Record<string, string>>

  it('imports the real sample: played_at = ts − ms_played, short plays flagged, twice adds nothing', async () => {
    const res = await importJson(spotifyFixtures.extendedHistory)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ files: 1, rows: 6, inserted: 6, duplicates: 0, skipped: 0 })
    const rows = await plays()
    const first = rows.find((r) => r.ended_at === '2023-02-25T11:20:37.000Z')!
    expect(first).toMatchObject({
      played_at: new Date(Date.parse('2023-02-25T11:20:37Z') - 61839).toISOString(),
      track_id: '6potEImiklXkwD9qFzpu15',
      track_uri: 'spotify:track:6potEImiklXkwD9qFzpu15',
      track_name: 'Forever',
      artist_name: 'Labrinth',
      artist_id: null,
      ms_played: 61839,
      counts_as_play: true,
      skipped: true,
      reason_end: 'endplay',
      platform: 'android',
      source: 'spotify-export',
    })
    expect(JSON.stringify(rows)).not.toContain('x.x.x.x')
    const short = rows.find((r) => r.ms_played === 29193)!
    expect(short.counts_as_play).toBe(false)
    expect(res.body.shortPlays).toBe(rows.filter((r) => r.counts_as_play === false).length)

    const again = await importJson(spotifyFixtures.extendedHistory)
    expect(again.body).toMatchObject({ rows: 6, inserted: 0, duplicates: 6 })
    expect(await plays()).toHaveLength(6)
  })

  it('counts and skips podcast and audiobook entries', async () => {
    const res = await importJson([
      exportEntry({ ts: '2024-01-01T10:00:00Z' }),
      podcastEntry('2024-01-01T11:00:00Z'),
      exportEntry({ ts: '2024-01-01T12:00:00Z', master_metadata_track_name: null, master_metadata_album_artist_name: null, spotify_track_uri: null, audiobook_title: 'A Book', audiobook_uri: 'spotify:audiobook:1' }),
    ])
    expect(res.body).toMatchObject({ rows: 1, inserted: 1, skipped: 2, skippedBy: { episodes: 1, audiobooks: 1, noTrack: 0 } })
  })

  it('imports a whole export zip, file by file, ignoring video history and the PDF', async () => {
    const year = (y: number, n: number) => Array.from({ length: n }, (_, i) => exportEntry({
      ts: new Date(Date.UTC(y, 0, 1) + i * 600_000).toISOString().replace('.000', ''),
      ms_played: 180_000,
      spotify_track_uri: `spotify:track:${String(i % 7).repeat(22)}`,
      master_metadata_track_name: `Song ${i % 7}`,
    }))
    const zip = await exportZip({
      [`${folder}/Streaming_History_Audio_2021.json`]: year(2021, 40),
      [`${folder}/Streaming_History_Audio_2022-2023_1.json`]: year(2022, 25),
      [`${folder}/Streaming_History_Video_2022.json`]: [{ ts: '2022-01-01T00:00:00Z' }],
      [`${folder}/ReadMeFirst_ExtendedStreamingHistory.pdf`]: Buffer.from('%PDF-1.4'),
    })
    const res = await importZip(zip)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ files: 2, rows: 65, inserted: 65, duplicates: 0 })
    expect(res.body.ignoredFiles).toEqual([`${folder}/Streaming_History_Video_2022.json`, `${folder}/ReadMeFirst_ExtendedStreamingHistory.pdf`])
    expect(res.body.fileReports.map((f: { rows: number }) => f.rows)).toEqual([40, 25])
    expect((await importZip(zip)).body).toMatchObject({ inserted: 0, duplicates: 65 })
  })

  it('reads a zip whose files are stored without compression', async () => {
    const entries = [exportEntry({ ts: '2021-03-01T10:00:00Z' }), exportEntry({ ts: '2021-03-01T10:05:00Z', spotify_track_uri: `spotify:track:${'7'.repeat(22)}` })]
    const res = await importZip(await exportZip({ [`${folder}/Streaming_History_Audio_2021.json`]: entries }, { compress: false }))
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ files: 1, rows: 2, inserted: 2 })
  })

  it('sets an entry without ts aside in the quarantine table, naming file and entry, and writes the others', async () => {
    await importJson([exportEntry({ ts: '2024-01-01T10:00:00Z' })])
    const entries = [exportEntry({ ts: '2024-02-01T10:00:00Z' }), exportEntry({ ts: '2024-02-01T11:00:00Z' })]
    delete entries[1]!.ts
    const res = await importJson(entries, 'Streaming_History_Audio_2024.json')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ inserted: 1, quarantined: 1 })
    expect(res.body.fileReports[0]).toMatchObject({ entries: 2, rows: 1, quarantined: 1 })
    expect(await plays()).toHaveLength(2)
    const [kept] = await quarantined()
    expect(kept).toMatchObject({ table_name: 'tracks_played', source: 'spotify-export:Streaming_History_Audio_2024.json[1]', column_name: 'ts', reason: expect.stringContaining('required') })
    expect(JSON.parse(kept!.record!)).toMatchObject({ ms_played: entries[1]!.ms_played })
  })

  it('one bad entry in a zip never blocks the rest: it is quarantined, every other play is written', async () => {
    const zip = await exportZip({
      [`${folder}/Streaming_History_Audio_2021.json`]: [exportEntry({ ts: '2021-05-01T10:00:00Z' })],
      [`${folder}/Streaming_History_Audio_2022.json`]: [exportEntry({ ts: '2022-05-01T10:00:00Z' }), exportEntry({ ts: 'yesterday' })],
    })
    const res = await importZip(zip)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ inserted: 2, quarantined: 1 })
    expect(await plays()).toHaveLength(2)
    expect((await quarantined()).map((q) => q.source)).toEqual([`spotify-export:${folder}/Streaming_History_Audio_2022.json[1]`])
  })

  it('an entry whose values the lake cannot store (ms_played past the column, a lone surrogate) is quarantined or repaired, never a 500', async () => {
    const res = await importJson([
      exportEntry({ ts: '2024-01-01T10:00:00Z' }),
      exportEntry({ ts: '2024-01-01T11:00:00Z', ms_played: 2 ** 31 }),
      exportEntry({ ts: '2024-01-01T12:00:00Z', ms_played: 1e16 }),
      exportEntry({ ts: '2024-01-01T13:00:00Z', master_metadata_track_name: 'half \ud800 pair' }),
    ])
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ inserted: 2, quarantined: 2 })
    expect((await quarantined()).map((q) => q.column_name).sort()).toEqual(['ms_played', 'ms_played'])
    expect((await plays()).map((p) => p.track_name)).toContain('half \ufffd pair')
  })

  it('rejects what is not an export, with 400', async () => {
    const notJson = await request(t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'application/json').send('[{"ts": ')
    expect(notJson.status).toBe(400)
    const notArray = await importJson({ hello: 'world' }, 'mine.json')
    expect(notArray.status).toBe(400)
    expect(notArray.body.message).toContain('mine.json')
    const otherShape = await importJson([{ name: 'x', plays: 3 }])
    expect(otherShape.status).toBe(400)
    expect(otherShape.body.message).toMatch(/not a Spotify extended streaming history/)
    const badMs = await importJson([exportEntry({ ts: '2024-01-01T10:00:00Z', ms_played: 'lots' })])
    expect(badMs.body).toMatchObject({ inserted: 0, quarantined: 1 })
    const onlyOthers = await importZip(await exportZip({ 'notes.txt': 'hello', 'Streaming_History_Video_2022.json': [] }))
    expect(onlyOthers.status).toBe(400)
    expect(onlyOthers.body.message).toContain('notes.txt')
    const notZip = await importZip(Buffer.from('this is not a zip'))
    expect(notZip.status).toBe(400)
    const brokenJson = await importZip(await exportZip({ 'Streaming_History_Audio_2020.json': '[{"ts": "2020' }))
    expect(brokenJson.status).toBe(400)
    expect(brokenJson.body.message).toContain('Streaming_History_Audio_2020.json')
    expect(await plays()).toHaveLength(0)
  })

  it('ignores unknown fields', async () => {
    const res = await importJson([exportEntry({ ts: '2024-01-01T10:00:00Z', brand_new_field: { nested: true } })])
    expect(res.body.inserted).toBe(1)
  })

  it('answers 415 for other content types', async () => {
    const res = await request(t.app.server).post('/v1/ingest/streaming-history').set('content-type', 'text/csv').send('a,b')
    expect(res.status).toBe(415)
  })

  it('answers a request without a body with a 400 naming the body (it was a 500)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/ingest/streaming-history?file=-0.5' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'body', problem: 'is required' }] })
  })

  it('parses ts strictly: an impossible date is quarantined, not stored as the next month', async () => {
    const impossible = ['2024-02-30T10:00:00Z', '2023-02-29T10:00:00Z', '2024-04-31T10:00:00Z', '2024-13-01T10:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T10:60:00Z', '2024-01-01T10:00:61Z', '2024-01-01T10:00:00+25:00']
    for (const ts of impossible) {
      const res = await importJson([exportEntry({ ts: '2024-01-01T09:00:00Z' }), exportEntry({ ts })])
      expect(res.body, ts).toMatchObject({ quarantined: 1 })
    }
    expect(await plays()).toHaveLength(1)
    const kept = await quarantined()
    expect(kept).toHaveLength(impossible.length)
    expect(kept.every((q) => q.column_name === 'ts' && /ISO 8601/.test(q.reason!))).toBe(true)
  })

  it('writes every timestamp in one canonical form, whatever form ts takes', async () => {
    const res = await importJson([
      exportEntry({ ts: '2024-02-29T10:00:00Z', ms_played: 1000 }),
      exportEntry({ ts: '2024-03-01T12:00:00+02:00', ms_played: 1000 }),
      exportEntry({ ts: '2024-03-02T10:00:00.5Z', ms_played: 1000 }),
    ])
    expect(res.status).toBe(200)
    const ended = (await plays()).map((r) => r.ended_at).sort()
    expect(ended).toEqual(['2024-02-29T10:00:00.000Z', '2024-03-01T10:00:00.000Z', '2024-03-02T10:00:00.500Z'])
  })

  it('quotes at most a short prefix of a bad value, in the answer and the run record', async () => {
    const long = 'a'.repeat(100_000)
    const res = await importJson([exportEntry({ ts: long })])
    expect(res.body).toMatchObject({ quarantined: 1 })
    const [kept] = await quarantined()
    expect(kept!.reason).toContain(`"${'a'.repeat(40)}…"`)
    expect(kept!.reason!.length + kept!.record!.length).toBeLessThan(5000)
    const notExport = await importJson([{ name: long }])
    expect(notExport.status).toBe(400)
    expect(notExport.text.length).toBeLessThan(1000)
    const runs = await request(t.app.server).get('/v1/runs?limit=2')
    expect(runs.body.runs[0]).toMatchObject({ step: 'ingest.streaming-history', httpStatus: 400 })
    expect(runs.text.length).toBeLessThan(2000)

    const name = `${folder}/Streaming_History_Audio_${'x'.repeat(5000)}.json`
    const longName = await importZip(await exportZip({ [name]: [{ ts: 'yesterday', ms_played: 1 }], [`${'y'.repeat(5000)}.pdf`]: 'x' }))
    expect(longName.status).toBe(200)
    expect(longName.text.length).toBeLessThan(2000)
  })

  it('refuses an entry larger than 1 MB with a 400 naming the file and entry, without holding it', async () => {
    const file = `${folder}/Streaming_History_Audio_2024.json`
    const zip = await exportZip({ [file]: `[{"ts": "2024-01-01T10:00:00Z", "ms_played": 1000}, {"ts":"${randomBytes(3 * 1024 * 1024).toString('base64')}"}]` })
    const res = await importZip(zip)
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('INVALID_EXPORT')
    expect(res.body.details).toEqual([{ field: `${file}[1]`, problem: expect.stringContaining('1 MB') }])
    expect(res.text.length).toBeLessThan(1000)
  })

  it('reads a JSON body as it arrives: a bad first entry is answered while the rest is still to come', async () => {
    const socket = await rawSocket(await listenLocal(t.app))
    try {
      socket.write(`POST /v1/ingest/streaming-history?file=big.json HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n`)
      socket.write(`[{"name": "not an export entry"}, ${JSON.stringify(exportEntry({ ts: '2024-01-01T10:00:00Z' }))},`)
      const answer = await readAnswer(socket)
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body).details).toEqual([{ field: 'big.json[0]', problem: expect.any(String) }])
      expect(answer.closed).toBe(true)
    } finally {
      socket.destroy()
    }
    expect(await plays()).toHaveLength(0)
  }, 15_000)

  it('answers a JSON body past 200 MB with 413, from its Content-Length or as it arrives', async () => {
    const declared = await rawSocket(await listenLocal(t.app))
    declared.write(`POST /v1/ingest/streaming-history HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${201 * 1024 * 1024}\r\n\r\n[`)
    expect((await readAnswer(declared)).status).toBe(413)
    declared.destroy()
    const chunked = await rawSocket(await listenLocal(t.app))
    chunked.write('POST /v1/ingest/streaming-history HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n')
    const answer = readAnswer(chunked)
    // Whitespace between entries: cheap to read, so the test pays for the bytes and not for parsing them.
    const block = ' '.repeat(1024 * 1024)
    const frame = `${block.length.toString(16)}\r\n${block}\r\n`
    let sent = 0
    chunked.write('1\r\n[\r\n')
    while (sent <= 201 * 1024 * 1024 && !chunked.destroyed && chunked.writable) {
      if (!chunked.write(frame)) await new Promise((resolve) => { chunked.once('drain', resolve); chunked.once('close', resolve) })
      sent += block.length
    }
    expect((await answer).status).toBe(413)
    chunked.destroy()
  }, 60_000)

  it('answers a zip whose entry claims a huge size with 413, and keeps serving (it used to stop the process)', async () => {
    const zip = patchCentral(await exportZip({ 'Streaming_History_Audio_2024.json': '[]' }), 24, 1 << 30)
    expect(zip.length).toBeLessThan(200)
    const res = await importZip(zip).timeout(10_000)
    expect(res.status).toBe(413)
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: [{ field: 'Streaming_History_Audio_2024.json' }] })
    expect((await importJson([exportEntry({ ts: '2024-01-01T10:00:00Z' })])).status).toBe(200)
  })

  it('answers a zip bomb with 413 before inflating it', async () => {
    const bomb = await exportZip({ 'Streaming_History_Audio_2024.json': `[${' '.repeat(20 * 1024 * 1024)}]` })
    const res = await importZip(bomb).timeout(10_000)
    expect(res.status).toBe(413)
    expect(res.body.message).toMatch(/compress/)
  })

  it('answers every kind of damaged zip with 400', async () => {
    const good = await exportZip({ 'Streaming_History_Audio_2024.json': [exportEntry({ ts: '2024-01-01T10:00:00Z' })] })
    const damaged = [
      patchCentral(good, 24, 10), // claims less than it inflates to
      patchCentral(good, 24, good.readUInt32LE(centralRecord(good) + 24) + 10), // claims more than it inflates to
      patchCentral(good, 20, 3), // compressed size cut short
      good.subarray(0, Math.floor(good.length / 2)), // truncated
      good.subarray(0, good.length - 10), // end record cut
      (() => { const z = Buffer.from(good); z.writeUInt16LE(99, centralRecord(z) + 10); return z })(), // unknown compression method
      (() => { const z = Buffer.from(good); z.writeUInt16LE(1, centralRecord(z) + 8); return z })(), // encrypted
      Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(18, 0xff)]),
    ]
    for (const [i, zip] of damaged.entries()) {
      const res = await importZip(zip).timeout(10_000)
      expect(res.status, `zip ${i}`).toBe(400)
      expect(res.body.code, `zip ${i}`).toBe('INVALID_EXPORT')
    }
    expect(await plays()).toHaveLength(0)
  })

  it('treats entries named ../ or /… as harmless: a 400, and nothing written outside', async () => {
    const entries = [exportEntry({ ts: '2024-01-01T10:00:00Z' })]
    for (const [from, to] of [['aa/aa/Streaming_History_Audio_2024.json', '../../Streaming_History_Audio_2024.json'], ['aStreaming_History_Audio_2024.json', '/Streaming_History_Audio_2024.json']] as const) {
      const zip = renameEntry(await exportZip({ [from]: entries }), from, to)
      const res = await importZip(zip).timeout(10_000)
      expect(res.status, to).toBe(400)
    }
    const outside = [...await fs.readdir(path.dirname(t.dataDir)), ...await fs.readdir(t.dataDir)]
    expect(outside).not.toContain('Streaming_History_Audio_2024.json')
    expect(await plays()).toHaveLength(0)
  })
})
