import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { packItems } from '../../src/batch/packed-items.ts'

describe('packed plan items', () => {
  it('gives back any slice of any JSON items as they were', () => {
    fc.assert(fc.property(fc.array(fc.jsonValue(), { maxLength: 40 }), fc.integer({ min: -3, max: 45 }), fc.integer({ min: -3, max: 45 }), (items, start, end) => {
      const asJson = JSON.parse(JSON.stringify(items)) as unknown[]
      const packed = packItems(items)
      expect(packed.length).toBe(items.length)
      expect(packed.slice(start, end)).toEqual(asJson.slice(Math.max(start, 0), Math.max(end, 0)))
    }))
  })

  it('gives the items as the JSON text JSON.stringify gives them', () => {
    fc.assert(fc.property(fc.array(fc.jsonValue(), { maxLength: 40 }), (items) => {
      expect(packItems(items).json()).toBe(JSON.stringify(items))
    }))
    expect(packItems([]).json()).toBe('[]')
  })

  it('hands out fresh objects: a caller changing a batch changes nothing kept', () => {
    const packed = packItems([{ id: 'a', names: ['Ä', 'b,c]'] }, { id: 'b' }])
    const first = packed.slice(0, 2)
    first[0]!.id = 'changed'
    expect(packed.slice(0, 1)).toEqual([{ id: 'a', names: ['Ä', 'b,c]'] }])
    expect(packed.slice(1, 2)).toEqual([{ id: 'b' }])
  })
})
