import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

/**
 * One process at a time opens a lake: table locks live in memory, and opening a lake clears its tmp/. The owner (the
 * service, or a CLI command working in-process) keeps a file naming itself in the data folder; the service adds where
 * it listens, so a CLI command can use the running service instead of opening the lake beside it.
 */
export interface LakeOwner {
  pid: number
  hostname: string
  /** e.g. serve, run daily */
  command: string
  startedAt: string
  /** set by the service once it listens */
  listen?: { host: string, port: number }
}

export interface OwnerLock {
  readonly owner: LakeOwner
  /** The service says where it listens. */
  listening (host: string, port: number): Promise<void>
  release (): Promise<void>
}

export class LakeBusy extends Error {
  readonly owner: LakeOwner

  constructor (owner: LakeOwner, dataDir: string) {
    super(`the lake in ${dataDir} is open in another process: \`tracklake ${owner.command}\` (pid ${owner.pid}${owner.hostname === os.hostname() ? '' : ` on ${owner.hostname}`}, since ${owner.startedAt})`)
    this.name = 'LakeBusy'
    this.owner = owner
  }
}

/** An owner on another host (a container sharing the volume) counts as gone when its heartbeat is older than this. */
const staleAfterMs = 60_000
const heartbeatMs = 15_000

export const ownerFile = (dataDir: string): string => path.join(dataDir, 'tracklake.lock')

function processAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether the recorded owner still runs: by its pid on this host, by its heartbeat from another one. */
export function ownerAlive (owner: LakeOwner, heartbeatAt: number, now = Date.now()): boolean {
  if (owner.hostname === os.hostname()) {
    // Our own pid in the file is a previous life of this container (same hostname, pid 1 again): gone.
    return owner.pid !== process.pid && processAlive(owner.pid)
  }
  return now - heartbeatAt < staleAfterMs
}

/** The live owner of a lake, if any. */
export async function currentOwner (dataDir: string): Promise<LakeOwner | undefined> {
  const file = ownerFile(dataDir)
  try {
    const [text, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)])
    const owner = JSON.parse(text) as LakeOwner
    return ownerAlive(owner, stat.mtimeMs) ? owner : undefined
  } catch {
    return undefined
  }
}

/** The address a CLI on this host (or a container beside the service) reaches the owner's service at. */
export function ownerUrl (owner: LakeOwner): string | undefined {
  if (!owner.listen) return undefined
  const { host, port } = owner.listen
  const wildcard = host === '0.0.0.0' || host === '::' || host === ''
  const reachable = owner.hostname !== os.hostname() ? owner.hostname : wildcard ? '127.0.0.1' : host
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
}

export async function acquireLake (dataDir: string, command: string): Promise<OwnerLock> {
  await fs.mkdir(dataDir, { recursive: true })
  const file = ownerFile(dataDir)
  const owner: LakeOwner = { pid: process.pid, hostname: os.hostname(), command, startedAt: new Date().toISOString() }
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(owner), { flag: 'wx' })
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const live = await currentOwner(dataDir)
      if (live) throw new LakeBusy(live, dataDir)
      // Left by a process that is gone: take it over (wx again, so of two takers only one wins).
      if (attempt > 0) throw new LakeBusy(JSON.parse(await fs.readFile(file, 'utf8').catch(() => '{}')) as LakeOwner, dataDir)
      await fs.rm(file, { force: true })
    }
  }
  const heartbeat = setInterval(() => {
    const at = new Date()
    fs.utimes(file, at, at).catch(() => {})
  }, heartbeatMs)
  heartbeat.unref()
  const ours = async (): Promise<boolean> => {
    const text = await fs.readFile(file, 'utf8').catch(() => undefined)
    const stored = text === undefined ? undefined : JSON.parse(text) as LakeOwner
    return stored?.pid === owner.pid && stored.hostname === owner.hostname && stored.startedAt === owner.startedAt
  }
  return {
    owner,
    async listening (host, port) {
      owner.listen = { host, port }
      if (await ours()) await fs.writeFile(file, JSON.stringify(owner))
    },
    async release () {
      clearInterval(heartbeat)
      if (await ours()) await fs.rm(file, { force: true })
    },
  }
}
