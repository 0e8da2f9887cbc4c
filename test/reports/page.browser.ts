import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, makeTempDir, type TestApp } from '../helpers/build-app.ts'
import { seedSmallLake } from '../stages/warehouse/small-lake.ts'
import { demoNow, demoTimezone, seedDemoLake } from './demo-lake.ts'

// npm run test:browser (and .ci/run): the reports page in Debian's headless Chromium against a warehouse built from
// fixture rows through the real build. It checks that every chart has data and that the filters change it, and
// saves screenshots in test/artifacts/. UPDATE_README_SCREENSHOT=1 also writes docs/reports.png.

const token = 'browser-test-token'
const root = fileURLToPath(new URL('../../', import.meta.url))
const artifacts = path.join(root, 'test', 'artifacts')
const desktop = { width: 1280, height: 900 }

/** Debian's chromium (or CHROMIUM_PATH); without it this test fails saying how to get it. */
function chromiumPath (): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p))
  const found = candidates.find((p) => existsSync(p))
  if (!found) throw new Error(`no Chromium at ${candidates.join(', ')}: apt-get install -y chromium (Debian), or set CHROMIUM_PATH`)
  return found
}

interface ChartState {
  id: string
  rendered: boolean
  empty: boolean
  /** Share of the chart's canvas that is not transparent: something was drawn. */
  painted: number
  series: Array<{ type: string, data: unknown[], /** per data item: whether it shows its label */ labelled: boolean[] }>
}

/** Every chart of the view, read from its ECharts instance (the page's own module, through its import map). */
const chartsScript = `(async () => {
  const echarts = await import('echarts')
  return [...document.querySelectorAll('[data-chart]')].map((el) => {
    const chart = echarts.getInstanceByDom(el)
    const option = chart ? chart.getOption() : undefined
    const canvas = el.querySelector('canvas')
    let painted = 0
    if (canvas && canvas.width > 0 && canvas.height > 0) {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
      let seen = 0
      for (let i = 3; i < pixels.length; i += 16) if (pixels[i] > 0) seen++
      painted = seen / (pixels.length / 16)
    }
    return {
      id: el.dataset.chart,
      rendered: Boolean(chart),
      empty: Boolean(el.querySelector('.empty-chart')),
      painted,
      series: ((option && option.series) || []).map((s) => ({
        type: s.type,
        data: Array.isArray(s.data) ? s.data.map((d) => (d !== null && typeof d === 'object' && 'value' in d ? d.value : d)) : [],
        labelled: Array.isArray(s.data) ? s.data.map((d) => !(d !== null && typeof d === 'object' && d.label && d.label.show === false)) : [],
      })),
    }
  })
})()`

/** Two animation frames: whatever a resize started is on screen (charts do not animate: reduced motion). */
async function drawn (page: Page): Promise<void> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))')
}

async function charts (page: Page): Promise<Record<string, ChartState>> {
  await drawn(page)
  const list = await page.evaluate(chartsScript) as ChartState[]
  return Object.fromEntries(list.map((c) => [c.id, c]))
}

/** The view has finished drawing (app.js marks main aria-busy while it loads). */
async function settled (page: Page): Promise<void> {
  await page.waitForSelector('main[aria-busy="false"]')
}

const kpi = async (page: Page, id: string): Promise<string> => (await page.textContent(`[data-kpi="${id}"] .value`))?.trim() ?? ''
const number = (n: number): string => new Intl.NumberFormat('en-US').format(n)
const dataOf = (chart: ChartState | undefined, series = 0): unknown[] => chart?.series[series]?.data ?? []
const sum = (values: unknown[]): number => values.reduce<number>((n, v) => n + Number(v), 0)

/** Every chart of the view drew something on its canvas and has data in every series. */
function expectDrawn (all: Record<string, ChartState>): void {
  for (const [id, c] of Object.entries(all)) {
    if (c.empty) continue
    expect(c.rendered, id).toBe(true)
    expect(c.painted, `${id}: canvas blank`).toBeGreaterThan(0.005)
    expect(c.series.length, id).toBeGreaterThan(0)
    for (const s of c.series) expect(s.data.length, `${id}: ${s.type} without data`).toBeGreaterThan(0)
  }
}

async function shot (page: Page, name: string): Promise<void> {
  await drawn(page)
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true })
}

describe('the reports page in Chromium', () => {
  let dir: string
  let t: TestApp
  let base: string
  let context: BrowserContext
  let page: Page
  let userDataDir: string
  const outside: string[] = []
  const problems: string[] = []
  /** Opens a page of the reports; gives the token if the page asks (a test run alone has none stored yet). */
  const visit = async (url: string): Promise<void> => {
    await page.goto(url)
    await page.waitForSelector('main[aria-busy="false"], #token-dialog[open]')
    if (await page.isVisible('#token-dialog[open]')) {
      await page.fill('#token-input', token)
      await page.click('#token-form button[type=submit]')
    }
    await settled(page)
  }
  const api = async (route: string): Promise<any> => {
    const res = await request(t.app.server).get(route).set('authorization', `Bearer ${token}`)
    expect(res.status, `${route}: ${JSON.stringify(res.body)}`).toBe(200)
    return res.body
  }

  beforeAll(async () => {
    const executablePath = chromiumPath()
    await fs.mkdir(artifacts, { recursive: true })
    dir = await makeTempDir()
    await seedDemoLake(dir)
    t = await buildTestApp({ TRACKLAKE_TIMEZONE: demoTimezone, TRACKLAKE_API_TOKEN: token }, { now: () => demoNow }, dir)
    const build = await request(t.app.server).post('/v1/warehouse/build').set('authorization', `Bearer ${token}`)
    expect(build.status, JSON.stringify(build.body)).toBe(200)
    base = await t.app.listen({ port: 0, host: '127.0.0.1' })

    userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tracklake-chromium-'))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      viewport: desktop,
      reducedMotion: 'reduce',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    // Nothing but the service: a request anywhere else is refused and remembered.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url())
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue()
      outside.push(url.href)
      return route.abort()
    })
    page = context.pages()[0] ?? await context.newPage()
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
    // The 401s before the token is given are expected; any other error is not.
    page.on('console', (message) => { if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(`console: ${message.text()}`) })
    // The browser's "today" is the fixture's, so presets like "Last 7 days" find its plays.
    await page.clock.setFixedTime(new Date(demoNow.getTime() + 30 * 60_000))
  })

  afterAll(async () => {
    await context?.close()
    await t?.close()
    if (dir) await fs.rm(dir, { recursive: true, force: true })
    if (userDataDir) await fs.rm(userDataDir, { recursive: true, force: true })
  })

  it('asks for the token once (again when it is wrong) and keeps it in sessionStorage', async () => {
    await page.goto(`${base}/reports`)
    await page.waitForSelector('#token-dialog[open]')
    await shot(page, 'reports-token')
    await page.fill('#token-input', 'not the token')
    await page.click('#token-form button[type=submit]')
    await page.waitForSelector('#token-dialog[open] #token-error:not([hidden])')
    await page.fill('#token-input', token)
    await page.click('#token-form button[type=submit]')
    await page.waitForSelector('[data-kpi="plays"]')
    await settled(page)
    expect(await page.evaluate(() => sessionStorage.getItem('tracklake.apiToken'))).toBe(token)
    await page.click('nav a[data-view="time"]')
    await settled(page)
    expect(await page.isVisible('#token-dialog')).toBe(false)
    expect(page.url()).toContain('view=time')
  })

  it('recent: the last 24 hours, every chart with data; the range filter changes them', async () => {
    await visit(`${base}/reports`)
    const day = await api('/v1/reports/recent')
    expect(day.totals.plays).toBeGreaterThan(10)
    expect(await kpi(page, 'plays')).toBe(number(day.totals.plays))
    expect(await kpi(page, 'tracks')).toBe(number(day.totals.tracks))
    let c = await charts(page)
    expectDrawn(c)
    expect(Object.keys(c).sort()).toEqual(['timeline', 'top-artists', 'top-tracks'])
    expect(dataOf(c.timeline)).toHaveLength(day.timeline.points.length)
    expect(sum(dataOf(c.timeline))).toBeCloseTo(day.totals.minutes, -1)
    expect(dataOf(c['top-artists'])).toHaveLength(10)
    expect(dataOf(c['top-tracks'])).toHaveLength(10)
    expect(await page.locator('#latest tbody tr').count()).toBe(day.latest.length)
    await shot(page, 'reports-recent')

    await page.selectOption('#range', '7d')
    await settled(page)
    expect(page.url()).toContain('range=7d')
    const week = await api('/v1/reports/recent?from=2026-02-09&to=2026-02-15')
    expect(await kpi(page, 'plays')).toBe(number(week.totals.plays))
    expect(week.totals.plays).toBeGreaterThan(day.totals.plays)
    c = await charts(page)
    expect(dataOf(c.timeline)).toHaveLength(7)
    expectDrawn(c)

    // All time on this view is every play, not its default 24 hours.
    await page.selectOption('#range', 'all')
    await settled(page)
    expect(page.url()).toContain('range=all')
    const overview = await api('/v1/reports')
    expect(await kpi(page, 'plays')).toBe(number(overview.plays))
  })

  it('over time: seven charts with data; the continent filter and the measure change them', async () => {
    await visit(`${base}/reports?view=time`)
    const all = await api('/v1/reports/time')
    let c = await charts(page)
    for (const id of ['months', 'years', 'months-of-year', 'weekdays', 'hours', 'times-of-day', 'week']) {
      expect(c[id]?.rendered, id).toBe(true)
      expect(dataOf(c[id]).length, id).toBeGreaterThan(0)
    }
    expect(sum(dataOf(c.months))).toBe(all.totals.plays)
    expect(dataOf(c.week)).toHaveLength(168)
    expectDrawn(c)
    await shot(page, 'reports-time')

    await page.click('button[data-continent="AS"]')
    await settled(page)
    expect(page.url()).toContain('continent=AS')
    const asia = await api('/v1/reports/time?continent=AS')
    expect(asia.totals.plays).toBeLessThan(all.totals.plays)
    expect(await kpi(page, 'plays')).toBe(number(asia.totals.plays))
    c = await charts(page)
    expect(sum(dataOf(c.months))).toBe(asia.totals.plays)
    expectDrawn(c)
    expect(await page.getAttribute('button[data-continent="AS"]', 'aria-pressed')).toBe('true')

    await page.click('#measure button[data-value="minutes"]')
    await settled(page)
    expect(page.url()).toContain('measure=minutes')
    c = await charts(page)
    expect(sum(dataOf(c.years))).toBeCloseTo(asia.totals.minutes, -1)
  })

  it('genres: the treemap and the top artists; picking a genre narrows the artists', async () => {
    await visit(`${base}/reports?view=genres`)
    const all = await api('/v1/reports/genres?limit=500&artists=15')
    let c = await charts(page)
    expect(c.treemap?.series[0]?.type).toBe('treemap')
    expect(dataOf(c.treemap).length).toBeGreaterThan(10)
    expect(sum(dataOf(c.treemap))).toBe(all.genres.filter((g: { plays: number }) => g.plays > 0).slice(0, 40).reduce((n: number, g: { plays: number }) => n + g.plays, 0))
    // The big tiles carry their name; the smallest, too small for one, leave it to their tooltip.
    expect(c.treemap?.series[0]?.labelled[0]).toBe(true)
    expect(c.treemap?.series[0]?.labelled.at(-1)).toBe(false)
    expect(dataOf(c['genre-artists'])).toHaveLength(15)
    expect(dataOf(c['genre-years']).length).toBeGreaterThan(0)
    expectDrawn(c)
    await shot(page, 'reports-genres')

    await page.fill('#genre-input', 'jazz')
    await page.dispatchEvent('#genre-input', 'change')
    await settled(page)
    expect(page.url()).toContain('genre=jazz')
    const jazz = await api('/v1/reports/genres?genre=jazz&limit=500&artists=15')
    c = await charts(page)
    expect(dataOf(c['genre-artists'])).toEqual(jazz.topArtists.map((a: { plays: number }) => a.plays))
    expect(jazz.topArtists.length).toBeLessThan(15)
    expectDrawn(c)
    expect(await kpi(page, 'selection')).toBe(number(jazz.selection.plays))
    await page.click('button[data-genre="jazz"]')
    await settled(page)
    expect(page.url()).not.toContain('genre=')
  })

  it('map: a bubble per country at first, per city and per continent by choice; the filters narrow it', async () => {
    await visit(`${base}/reports?view=places`)
    const all = await api('/v1/reports/places?limit=2000')
    const bubbles = async (): Promise<unknown[]> => dataOf((await charts(page)).map)
    const located = (list: Array<{ lat: number | null }>): number => list.filter((p) => p.lat !== null).length
    expect((await charts(page)).map?.series[0]?.type).toBe('scatter')
    expectDrawn(await charts(page))
    expect(await bubbles()).toHaveLength(located(all.countries))
    expect(await page.getAttribute('#places-table', 'data-level')).toBe('country')
    await shot(page, 'reports-places')

    await page.click('#level button[data-value="city"]')
    await settled(page)
    expect(page.url()).toContain('level=city')
    expect(await bubbles()).toHaveLength(located(all.cities))
    await page.click('#level button[data-value="continent"]')
    await settled(page)
    expect(await bubbles()).toHaveLength(all.continents.length)
    await page.click('#level button[data-value="auto"]')
    await settled(page)

    // Europe only: the map zooms in on it, so the bubbles become cities.
    await page.click('button[data-continent="EU"]')
    await settled(page)
    const europe = await api('/v1/reports/places?limit=2000&continent=EU')
    expect(await bubbles()).toHaveLength(located(europe.cities))
    expect(located(europe.cities)).toBeLessThan(located(all.cities))
    expect(await page.getAttribute('#places-table', 'data-level')).toBe('city')
    const where = await page.locator('#places-table tbody td:nth-child(3)').allTextContents()
    expect(where.length).toBeGreaterThan(0)
    expect(where.every((w) => europe.cities.some((c: { state: string | null, country: string }) => w.endsWith(c.country)))).toBe(true)

    await page.selectOption('#country-picker', 'GB')
    await settled(page)
    expect(page.url()).toMatch(/continent=EU&country=GB/)
    expect(await bubbles()).toHaveLength(4)
    expectDrawn(await charts(page))
    await shot(page, 'reports-places-gb')
  })

  it('every view and its filters open from their link; the back button returns to the view before', async () => {
    const link = `${base}/reports?view=places&from=2025-01-01&to=2025-12-31&continent=EU&country=GB&level=city`
    await visit(link)
    const linked = await api('/v1/reports/places?limit=2000&from=2025-01-01&to=2025-12-31&continent=EU&country=GB')
    expect(await page.inputValue('#from')).toBe('2025-01-01')
    expect(await page.inputValue('#to')).toBe('2025-12-31')
    expect(await page.getAttribute('button[data-continent="EU"]', 'aria-pressed')).toBe('true')
    expect(await page.isVisible('button[data-country="GB"]')).toBe(true)
    expect(await page.textContent('#places-table tbody tr:first-child td:nth-child(4)')).toBe(number(linked.cities[0].plays))

    await page.click('nav a[data-view="time"]')
    await settled(page)
    expect(page.url()).toContain('view=time')
    // The tab carried the dates over.
    expect(page.url()).toContain('from=2025-01-01')
    await page.goBack()
    await settled(page)
    expect(page.url()).toBe(link)
    expect(await page.isVisible('button[data-country="GB"]')).toBe(true)
  })

  it('dark mode and a phone-sized screen', async () => {
    await page.emulateMedia({ colorScheme: 'dark' })
    for (const view of ['recent', 'time', 'genres', 'places']) {
      await visit(`${base}/reports?view=${view}`)
      expectDrawn(await charts(page))
      await shot(page, `reports-${view}-dark`)
    }
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor')
    expect(background).not.toBe('rgb(245, 246, 250)')
    await page.emulateMedia({ colorScheme: 'light' })
    await page.setViewportSize({ width: 390, height: 844 })
    await visit(`${base}/reports?view=time`)
    await shot(page, 'reports-time-phone')
    // Nothing wider than the screen but what scrolls on its own (tables).
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390)
    await page.setViewportSize(desktop)

    if (process.env.UPDATE_README_SCREENSHOT) {
      await visit(`${base}/reports?view=places&level=city`)
      await drawn(page)
      const map = await page.locator('[data-chart="map"]').boundingBox()
      await page.screenshot({ path: path.join(root, 'docs', 'reports.png'), fullPage: true, clip: { x: 0, y: 0, width: desktop.width, height: Math.ceil((map?.y ?? 0) + (map?.height ?? 800) + 18) } })
    }
  })

  it('fetched nothing from anywhere but the service, and logged no error', () => {
    expect(outside).toEqual([])
    expect(problems).toEqual([])
  })
})

describe('the reports page without a warehouse', () => {
  it('says how to build it, and its button builds it', async () => {
    const dir = await makeTempDir()
    await seedSmallLake(dir)
    const t = await buildTestApp({ TRACKLAKE_TIMEZONE: 'Europe/Berlin' }, { now: () => demoNow }, dir)
    const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tracklake-chromium-'))
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(),
      headless: true,
      viewport: desktop,
      reducedMotion: 'reduce',
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    try {
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' })
      const page = context.pages()[0] ?? await context.newPage()
      await page.goto(`${base}/reports?view=genres`)
      await settled(page)
      expect(await page.textContent('#no-warehouse h1')).toBe('No warehouse yet')
      expect(await page.textContent('#no-warehouse')).toContain('POST localhost:8080/v1/warehouse/build')
      await shot(page, 'reports-no-warehouse')
      await page.click('#no-warehouse button.primary')
      await page.waitForSelector('[data-chart="treemap"]', { timeout: 60_000 })
      await settled(page)
      const c = await charts(page)
      expect(dataOf(c.treemap).length).toBeGreaterThan(0)
      expectDrawn(c)
    } finally {
      await context.close()
      await t.close()
      await fs.rm(dir, { recursive: true, force: true })
      await fs.rm(userDataDir, { recursive: true, force: true })
    }
  })
})
