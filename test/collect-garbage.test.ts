import { afterEach, describe, expect, it, vi } from 'vitest'
import { collectGarbage, collectYoungGarbage } from '../src/collect-garbage.ts'

const global = globalThis as { gc?: (options?: unknown) => void }
const original = global.gc

afterEach(() => {
  if (original) global.gc = original
  else delete global.gc
})

describe('collectGarbage', () => {
  it('runs a collection where Node exposes gc (--expose-gc)', () => {
    const gc = vi.fn()
    global.gc = gc
    collectGarbage()
    expect(gc).toHaveBeenCalledOnce()
  })

  it('collects the young generation only when asked to', () => {
    const gc = vi.fn()
    global.gc = gc
    collectYoungGarbage()
    expect(gc).toHaveBeenCalledExactlyOnceWith({ type: 'minor' })
  })

  it('does nothing where it does not', () => {
    delete global.gc
    expect(() => collectGarbage()).not.toThrow()
    expect(() => collectYoungGarbage()).not.toThrow()
  })
})
