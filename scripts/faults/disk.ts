// A data directory that fills up or turns read-only in the middle of a write: the call answers a clear 503 (or a 5xx
// naming its code), every table is the old or the new version, the process keeps serving, and once the disk is
// writable again the same call finishes the work.
//
// The mechanisms are real, never a seam in the service: a tmpfs of fixed size (filled with a file) and a read-only bind
// mount over the data directory, where `mount` is allowed (root, or CAP_SYS_ADMIN). Elsewhere: RLIMIT_FSIZE lowered
// on the running service with prlimit (writes past 4 KB fail with EFBIG) and `chattr +i` on the lake folders (EPERM);
// a mechanism this machine lacks is skipped, loudly.
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { Answer, Body } from '../lib/http.ts'
import { versionOf } from '../lib/lake-integrity.ts'
import type { Section, Suite } from './suite.ts'
import { createWorld, exportPlays, importBody, logErrors, settle, syntheticId, type World } from './world.ts'

const run = promisify(execFile)
const trials = 5
const tmpfsBytes = 96 << 20

/** A way to make the data directory refuse writes, and to make it writable again. */
interface Trap {
  name: string
  /** what a write then fails with */
  errno: string
  spring (world: World): Promise<void>
  release (world: World): Promise<void>
}

interface Mount {
  dir: string
  close (): Promise<void>
}

/** A tmpfs of `bytes` at a new folder, or undefined where this process may not mount. */
async function tmpfs (bytes: number): Promise<Mount | undefined> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tracklake-faults-disk-'))
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir])
  } catch {
    await fs.rmdir(dir)
    return undefined
  }
  return {
    dir,
    async close () {
      await run('umount', ['-l', dir]).catch(() => {})
      await fs.rm(dir, { recursive: true, force: true })
    },
  }
}

const filler = (world: World): string => path.join(world.service.dataDir, '..', 'filler')

/** Fills the tmpfs: a file grows until the disk says no. */
const fullTmpfs: Trap = {
  name: 'full-disk',
  errno: 'ENOSPC',
  async spring (world) {
    const handle = await fs.open(filler(world), 'a')
    const chunk = Buffer.alloc(1 << 20)
    try {
      for (;;) await handle.write(chunk)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
      // The last partial megabyte: fill to the byte.
      for (let size = 1 << 19; size >= 1; size >>= 1) await handle.write(Buffer.alloc(size)).catch(() => {})
    } finally {
      await handle.close()
    }
  },
  release: (world) => fs.rm(filler(world), { force: true }),
}

/** A read-only bind mount of the data directory over itself; the service's open files keep their old mount. */
const readOnlyBind: Trap = {
  name: 'read-only',
  errno: 'EROFS',
  async spring (world) {
    const dir = world.service.dataDir
    // Binding and making the bind read-only are two steps: a file opened for writing in between makes the second
    // fail (EBUSY). Undo the bind and try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await run('mount', ['-o', 'bind,ro', dir, dir])
        return
      } catch (err) {
        await run('umount', ['-l', dir]).catch(() => {})
        if (attempt === 20) throw err
        await sleep(25)
      }
    }
  },
  async release (world) {
    await run('umount', ['-l', world.service.dataDir])
  },
}

/** RLIMIT_FSIZE on the running service: every write past 4 KB of a file fails with EFBIG. */
const fileSizeLimit: Trap = {
  name: 'file-size-limit',
  errno: 'EFBIG',
  spring: async (world) => { await run('prlimit', [`--pid=${world.service.pid}`, '--fsize=4096:']) },
  release: async (world) => { await run('prlimit', [`--pid=${world.service.pid}`, '--fsize=unlimited:']) },
}

/** Immutable lake folders (ext4 and others): no file can be created or renamed in them, even by root. */
const immutableLake: Trap = {
  name: 'immutable-lake',
  errno: 'EPERM',
  async spring (world) {
    await run('chattr', ['+i', ...await lakeFolders(world)])
  },
  async release (world) {
    await run('chattr', ['-i', ...await lakeFolders(world)])
  },
}

async function lakeFolders (world: World): Promise<string[]> {
  const lake = path.join(world.service.dataDir, 'lake')
  return [lake, path.join(world.service.dataDir, 'tmp'), ...world.tables.map((t) => path.join(lake, t.name))]
}

/** Sends a call through the section: counted, and checked for 500s, hangs and leaks (a 503 is expected here). */
type Send = (method: string, route: string, body?: Body) => Promise<Answer>

/** The write a trap interrupts: each trial's call does new work, and its re-run finishes it. */
interface DiskCall {
  name: string
  prepare (world: World, trial: number): Promise<void>
  send (world: World, trial: number, send: Send): Promise<Answer>
  /** rows the call adds to `table` */
  adds: { table: string, rows: number }
}

const playsPerImport = 3000

const importCall: DiskCall = {
  name: 'import',
  async prepare (world, trial) {
    const ids = Array.from({ length: 40 }, (_, i) => syntheticId('disk-track', i))
    const upload = await importBody(exportPlays(ids, Date.UTC(2005, 0, 1) + trial * 20 * 86_400_000, playsPerImport), `Streaming_History_Audio_d${trial}.json`, trial % 2 === 0, world.dir)
    uploads.set(world, upload)
  },
  send: (world, _trial, send) => send('POST', uploads.get(world)!.path, uploads.get(world)!.body),
  adds: { table: 'tracks_played', rows: playsPerImport },
}
const uploads = new WeakMap<World, Awaited<ReturnType<typeof importBody>>>()

const artistsPerWrite = 500
const writeCall: DiskCall = {
  name: 'write',
  async prepare () {},
  send: (_world, trial, send) => send('POST', '/v1/spotify/artists/write', {
    json: {
      records: Array.from({ length: artistsPerWrite }, (_, i) => ({
        artist_id: syntheticId('disk-artist', trial * artistsPerWrite + i),
        artist_name: `Disk Artist ${i}`,
        genres: [`genre ${i % 4}`],
        fetched_at: '2026-01-01T00:00:00.000Z',
      })),
    },
  }),
  adds: { table: 'spotify_artists', rows: artistsPerWrite },
}

/** 503 LAKE_UNAVAILABLE, or at least a 5xx that names a code of ours and whether to retry. */
function clearRefusal (answer: Answer): string | undefined {
  if (answer.status === 503 && answer.body?.code === 'LAKE_UNAVAILABLE' && answer.body.retryable === true) return undefined
  return `answered ${answer.status} ${answer.body?.code ?? ''} instead of 503 LAKE_UNAVAILABLE: ${answer.text.slice(0, 300)}`
}

async function runTrap (section: Section, trap: Trap, diskCall: DiskCall, dataDir: string | undefined): Promise<void> {
  const name = `${trap.name}:${diskCall.name}`
  const world = await createWorld(`disk-${name}`, { spotifyArtists: 1, dataDir })
  const random = section.random(name)
  const send: Send = (method, route, body) => section.call(name, world.service, method, route, body, { expect: [503], timeoutMs: 120_000 })
  try {
    await diskCall.prepare(world, 0)
    const first = await diskCall.send(world, 0, send)
    if (first.status !== 200) throw new Error(`the first ${diskCall.name} answered ${first.status}: ${first.text.slice(0, 200)}`)
    const callMs = first.ms
    for (let trial = 1; trial <= trials; trial++) {
      await diskCall.prepare(world, trial)
      await settle(world.service)
      const before = await world.reader.read(world.service.dataDir, world.tables)
      section.trial(name)
      const answering = diskCall.send(world, trial, send)
      await sleep(random.next() * callMs)
      await trap.spring(world)
      let answer: Answer
      try {
        answer = await answering
        const health = await section.call(name, world.service, 'GET', '/health', undefined, { timeoutMs: 5000 })
        if (health.status !== 200) section.violation(name, `GET /health answered ${health.status} while the disk refused writes`)
        // Open without a token: a not_ready answer must not show the data path or the errno message.
        const ready = await section.call(name, world.service, 'GET', '/ready', undefined, { timeoutMs: 5000, expect: [503], headers: {} })
        section.count(name, `/ready while ${trap.name}: ${ready.status}`)
      } finally {
        await trap.release(world)
      }
      const refusal = answer.status === 200 ? undefined : clearRefusal(answer)
      section.count(name, answer.status === 200 ? 'finished before the disk refused' : `answered ${answer.status} ${answer.body?.code ?? ''}`)
      if (refusal) section.violation(name, `trial ${trial}: the ${diskCall.name} ${refusal}`)
      if (world.service.exit) throw new Error(`the service exited (${world.service.exit})`)
      const afterTrap = await world.reader.read(world.service.dataDir, world.tables)

      const rerun = await diskCall.send(world, trial, send)
      if (rerun.status !== 200) section.violation(name, `trial ${trial}: once writable, the ${diskCall.name} answered ${rerun.status}: ${rerun.text.slice(0, 200)}`)
      await settle(world.service)
      const final = await world.reader.read(world.service.dataDir, world.tables)
      section.rows(before.rows + afterTrap.rows + final.rows)
      for (const problem of [...afterTrap.problems, ...final.problems]) section.violation(name, `trial ${trial}: ${problem}`)
      for (const [table, state] of afterTrap.state) {
        if (versionOf(before.state.get(table), state, final.state.get(table)) === 'mixed') section.violation(name, `trial ${trial}: ${table} is neither the old nor the new version`)
      }
      const want = (before.state.get(diskCall.adds.table)?.rows ?? 0) + diskCall.adds.rows
      const got = final.state.get(diskCall.adds.table)?.rows
      if (got !== want) section.violation(name, `trial ${trial}: ${diskCall.adds.table} holds ${got} rows after the re-run, not ${want}`)
      const ready = await section.call(name, world.service, 'GET', '/ready', undefined, { timeoutMs: 5000, expect: [503] })
      if (ready.status !== 200) section.violation(name, `trial ${trial}: /ready answered ${ready?.status} once the disk was writable again`)
    }
  } catch (err) {
    section.violation(name, `the case stopped: ${(err as Error).stack ?? err}`)
  } finally {
    logErrors(section, name, world)
    await world.close()
  }
}

/** Whether this process may set and clear the immutable flag here (root, and a filesystem that has it). */
async function immutableWorks (): Promise<boolean> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tracklake-faults-chattr-'))
  try {
    await run('chattr', ['+i', dir])
    await run('chattr', ['-i', dir])
    return true
  } catch {
    return false
  } finally {
    await fs.rmdir(dir).catch(() => {})
  }
}

export async function runDiskSection (suite: Suite): Promise<void> {
  const section = suite.section('disk')
  // FAULTS_NO_MOUNT=1 tries the fallbacks where mount works too.
  const probe = process.env.FAULTS_NO_MOUNT ? undefined : await tmpfs(1 << 20)
  await probe?.close()
  const canMount = probe !== undefined
  const canChattr = await immutableWorks()
  const canPrlimit = await run('prlimit', ['--version']).then(() => true, () => false)
  const traps: Array<{ trap: Trap, available: boolean, why: string, onTmpfs: boolean }> = [
    { trap: fullTmpfs, available: canMount, why: 'mount is not permitted here (needs root or CAP_SYS_ADMIN)', onTmpfs: true },
    { trap: readOnlyBind, available: canMount, why: 'mount is not permitted here', onTmpfs: false },
    { trap: fileSizeLimit, available: !canMount && canPrlimit, why: canMount ? 'the tmpfs trap runs instead' : 'prlimit is missing', onTmpfs: false },
    { trap: immutableLake, available: !canMount && canChattr, why: canMount ? 'the read-only mount runs instead' : 'chattr +i is not permitted here (needs root and ext4, xfs or btrfs)', onTmpfs: false },
  ]
  for (const { trap, available, why, onTmpfs } of traps) {
    for (const diskCall of [importCall, writeCall]) {
      const name = `${trap.name}:${diskCall.name}`
      if (!section.selected(name)) continue
      if (!available) {
        if (!why.includes('instead')) section.skip(name, why)
        continue
      }
      const mount = onTmpfs ? await tmpfs(tmpfsBytes) : undefined
      try {
        await runTrap(section, trap, diskCall, mount ? path.join(mount.dir, 'data') : undefined)
      } finally {
        await mount?.close()
      }
    }
  }
}
