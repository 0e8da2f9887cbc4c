import fs from 'node:fs/promises'
import path from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openFileWriter, writeChunks } from '../../src/lake/file-writer.ts'
import { makeTempDir } from '../helpers/build-app.ts'

describe('file writer', () => {
  let dir: string
  beforeEach(async () => { dir = await makeTempDir() })
  afterEach(async () => { await fs.rm(dir, { recursive: true, force: true }) })

  it('writes what it is given, waiting when the stream asks to', async () => {
    const file = path.join(dir, 'out.txt')
    const writer = openFileWriter(file)
    const chunk = Buffer.alloc(64 * 1024, 'a')
    for (let i = 0; i < 20; i++) await writer.write(chunk)
    await writer.write('end')
    await writer.end()
    expect((await fs.stat(file)).size).toBe(20 * chunk.length + 3)
  })

  it('keeps an error that comes between two writes (the process lives on) and throws it at the next write', async () => {
    // The folder does not exist: opening fails while nobody waits on the stream.
    const writer = openFileWriter(path.join(dir, 'missing', 'out.txt'))
    let thrown: unknown
    for (let turn = 0; turn < 10_000 && thrown === undefined; turn++) {
      try {
        await writer.write('x')
      } catch (err) {
        thrown = err
      }
      await nextTurn()
    }
    expect(thrown).toMatchObject({ code: 'ENOENT' })
    await expect(writer.end()).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('rejects at the end when the file cannot be written', async () => {
    const writer = openFileWriter(path.join(dir, 'missing', 'out.txt'))
    await expect(writer.end()).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('writes chunks as they come, showing each on the way, and throws what fails: the source or the file', async () => {
    const file = path.join(dir, 'chunks.txt')
    async function * source (fail: boolean): AsyncGenerator<Buffer> {
      yield Buffer.from('ab')
      yield Buffer.from('cd')
      if (fail) throw new Error('the source broke')
    }
    const seen: string[] = []
    await writeChunks(file, source(false), (chunk) => seen.push(chunk.toString()))
    expect(seen).toEqual(['ab', 'cd'])
    expect(await fs.readFile(file, 'utf8')).toBe('abcd')
    await expect(writeChunks(file, source(true))).rejects.toThrow('the source broke')
    await expect(writeChunks(path.join(dir, 'missing', 'out.txt'), source(false))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
