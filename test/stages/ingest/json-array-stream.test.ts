import { describe, expect, it } from 'vitest'
import { JsonArrayError, jsonArrayItems, stringChunks } from '../../../src/stages/ingest/json-array-stream.ts'

async function items (text: string, size = 3): Promise<string[]> {
  const out: string[] = []
  for await (const item of jsonArrayItems(stringChunks(text, size))) out.push(item)
  return out
}

describe('jsonArrayItems', () => {
  it('yields each item of an array, whatever the chunk boundaries', async () => {
    const text = '\uFEFF [ {"a": "x,]}\\"{", "b": [1, {"c": 2}]} ,{"d":null}, 3, "s]", true, [4] ]\n'
    for (const size of [1, 2, 3, 7, 1000]) {
      expect((await items(text, size)).map((t) => JSON.parse(t))).toEqual([{ a: 'x,]}"{', b: [1, { c: 2 }] }, { d: null }, 3, 's]', true, [4]])
    }
    expect(await items('[]')).toEqual([])
  })

  it('reads escapes and runs of backslashes split anywhere between chunks', async () => {
    const value = [{ a: 'x\\', b: 'q\\"}', c: ['\\\\', '"'] }, '\\', 'tail"\\', { d: { e: '{[,' } }]
    const text = JSON.stringify(value, null, 2)
    for (let size = 1; size <= 12; size++) {
      expect((await items(text, size)).map((t) => JSON.parse(t))).toEqual(value)
    }
  })

  it('refuses what is not one whole array', async () => {
    for (const bad of ['{"a": 1}', '', '[{"a": 1}', '[{"a": 1},', '[{} {}]', '[1],[2]', '[,1]']) {
      await expect(items(bad), bad).rejects.toBeInstanceOf(JsonArrayError)
    }
  })

  it('refuses an item larger than its cap without reading on, naming the item', async () => {
    let pulled = 0
    async function * endless (): AsyncGenerator<string> {
      yield '[{"ts": "2024-01-01T00:00:00Z"}, {"ts": "'
      for (let i = 0; i < 5_000; i++) {
        pulled++
        yield 'a'.repeat(16 * 1024)
      }
      yield '"}]'
    }
    const seen: string[] = []
    const error = await (async () => {
      for await (const item of jsonArrayItems(endless(), { maxItemChars: 1024 * 1024 })) seen.push(item)
    })().catch((err: unknown) => err)
    expect(error).toBeInstanceOf(JsonArrayError)
    expect((error as JsonArrayError).index).toBe(1)
    expect((error as Error).message).toMatch(/entry 1 is larger than 1 MB/)
    expect(seen).toHaveLength(1)
    expect(pulled).toBeLessThan(70)
  })
})
