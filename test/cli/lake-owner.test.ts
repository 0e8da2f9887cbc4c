import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireLake, currentOwner, LakeBusy, ownerFile, ownerUrl, type LakeOwner } from '../../src/cli/lake-owner.ts'
import { makeTempDir } from '../helpers/build-app.ts'

let dir: string

beforeEach(async () => { dir = await makeTempDir('tracklake-owner-') })
afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

/** The pid of a process that has certainly ended. */
async function deadPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((resolve) => child.on('close', resolve))
  return child.pid!
}

async function writeOwner (owner: LakeOwner, heartbeatAgoMs = 0): Promise<void> {
  await fs.writeFile(ownerFile(dir), JSON.stringify(owner))
  const at = new Date(Date.now() - heartbeatAgoMs)
  await fs.utimes(ownerFile(dir), at, at)
}

describe('one owner per lake', () => {
  it('a second process is refused, naming the first; released, the lake is free', async () => {
    const lock = await acquireLake(dir, 'run daily')
    await writeOwner({ ...lock.owner, pid: process.ppid })
    const busy = await acquireLake(dir, 'status').catch((err: unknown) => err)
    expect(busy).toBeInstanceOf(LakeBusy)
    expect((busy as Error).message).toContain(`is open in another process: \`tracklake run daily\` (pid ${process.ppid}, since `)
    await fs.rm(ownerFile(dir))
    const again = await acquireLake(dir, 'status')
    await again.release()
    await expect(fs.stat(ownerFile(dir))).rejects.toThrow()
  })

  it('takes over from an owner that is gone: a dead pid here, a stale heartbeat on another host (a container)', async () => {
    await writeOwner({ pid: await deadPid(), hostname: os.hostname(), command: 'serve', startedAt: '2026-01-01T00:00:00Z' })
    expect(await currentOwner(dir)).toBeUndefined()
    const lock = await acquireLake(dir, 'run daily')
    await lock.release()

    const elsewhere: LakeOwner = { pid: 1, hostname: 'container-3f2a', command: 'serve', startedAt: '2026-01-01T00:00:00Z', listen: { host: '0.0.0.0', port: 8080 } }
    await writeOwner(elsewhere, 5_000)
    expect(await currentOwner(dir)).toEqual(elsewhere)
    await expect(acquireLake(dir, 'status')).rejects.toBeInstanceOf(LakeBusy)
    await writeOwner(elsewhere, 120_000)
    expect(await currentOwner(dir)).toBeUndefined()
    await (await acquireLake(dir, 'status')).release()
  })

  it('the service says where it listens; a CLI reaches it on this host or by its container name', async () => {
    const lock = await acquireLake(dir, 'serve')
    await lock.listening('0.0.0.0', 8123)
    const stored = JSON.parse(await fs.readFile(ownerFile(dir), 'utf8')) as LakeOwner
    expect(stored.listen).toEqual({ host: '0.0.0.0', port: 8123 })
    expect(ownerUrl(stored)).toBe('http://127.0.0.1:8123')
    expect(ownerUrl({ ...stored, listen: { host: '192.168.1.5', port: 80 } })).toBe('http://192.168.1.5:80')
    expect(ownerUrl({ ...stored, hostname: 'container-3f2a' })).toBe('http://container-3f2a:8123')
    expect(ownerUrl({ ...stored, listen: undefined })).toBeUndefined()
    await lock.release()
  })
})
