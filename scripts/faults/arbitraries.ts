// fast-check arbitraries: values shaped by an OpenAPI schema, and hostile values of every kind.
import fc from 'fast-check'

export type JsonSchema = Record<string, any>

/**
 * A value written into a generated body where `deep(n)` stands is replaced, after JSON.stringify, by n nested arrays:
 * deeper than JSON.stringify itself could go.
 */
export const deepMarker = (depth: number): string => `\u0000DEEP${depth}\u0000`
export const expandDeep = (text: string): string =>
  text.replace(/"\\u0000DEEP(\d+)\\u0000"/g, (_m, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n)))

const megabyte = 1 << 20

/** Strings no well-behaved client sends. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'x\ud800', '\udfff', '\ud800\ud800', 'a\u0000b', '\u202e\u0644', '😀'.repeat(50), 'ǅ\u0301\u0301\u0301',
    '../../../etc/passwd', '..%2F..%2F..%2Fetc%2Fpasswd', '..\\..\\windows', '/etc/passwd', '%00', '%', '%ZZ', '$' + '{jndi:x}',
    'NaN', 'Infinity', '-Infinity', '1e400', '-0', '0x1F', '9007199254740993', '1e20', '', ' ', '\t\n',
    "'; DROP TABLE tracks_played; --", '" OR 1=1', 'SELECT * FROM read_csv(\'/etc/passwd\')', '<script>x</script>',
    '2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '0000-00-00T00:00:00Z', '99999-01-01T00:00:00Z', '2024-01-01T24:00:00Z'
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  fc.constantFrom(10_000, 100_000, megabyte).chain((n) => fc.constantFrom('a'.repeat(n), 'é'.repeat(n / 2), `${'x'.repeat(n - 1)}\ud800`))
)

/** Numbers past every column type, and numbers that are not numbers. */
export const hostileNumber: fc.Arbitrary<number> = fc.constantFrom(
  2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 63), 1e16, 1e20, 1e308, -1e308, -1, 0.5, -0.5, Number.MIN_VALUE
)

/** Anything in the wrong place: other types, empty containers, deep nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: hostileNumber, weight: 2 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [[]], [null], { '': '' }, { __proto__: { polluted: true } }, { constructor: { prototype: { x: 1 } } }), weight: 2 },
  { arbitrary: fc.constantFrom(deepMarker(64), deepMarker(5000), deepMarker(100_000)), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 }
)

function resolve (schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  let out = schema
  for (let hops = 0; out?.$ref && hops < 10; hops++) out = components[String(out.$ref).split('/').pop()!] ?? {}
  return out ?? {}
}

const isoDate = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString())

/** Values the schema accepts (most of the time: patterns and formats are approximated). `hints` names real values. */
export function fromSchema (schema: JsonSchema, components: Record<string, JsonSchema>, hints: Record<string, string[]> = {}, depth = 0, name = ''): fc.Arbitrary<unknown> {
  const s = resolve(schema, components)
  const hinted = hints[name]
  if (hinted && hinted.length > 0) return fc.oneof({ arbitrary: fc.constantFrom(...hinted), weight: 3 }, { arbitrary: fromSchema({ ...s }, components, {}, depth, ''), weight: 1 })
  if (s.const !== undefined) return fc.constant(s.const)
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum)
  const alternatives = s.anyOf ?? s.oneOf
  if (Array.isArray(alternatives)) return fc.oneof(...alternatives.map((a: JsonSchema) => fromSchema(a, components, hints, depth, name)))
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : []
  if (type.length > 1) return fc.oneof(...type.map((t: string) => fromSchema({ ...s, type: t }, components, hints, depth, name)))
  switch (type[0]) {
    case 'string':
      if (s.format === 'date-time') return isoDate
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern), { maxLength: 60 })
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 30, 30) })
    case 'integer':
      return fc.integer({ min: Math.max(s.minimum ?? -1_000_000, Number.MIN_SAFE_INTEGER), max: Math.min(s.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER) })
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: s.minimum ?? -1e6, max: s.maximum ?? 1e6 })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      if (depth > 4) return fc.constant([])
      return fc.array(fromSchema(s.items ?? {}, components, hints, depth + 1, name), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, 3) })
    case 'object': {
      if (depth > 4) return fc.constant({})
      const properties = Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)
      const model = Object.fromEntries(properties.map(([key, p]) => [key, fromSchema(p, components, hints, depth + 1, key)]))
      return fc.record(model, { requiredKeys: (s.required ?? []) as string[] })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** Replaces the value at one random place of `value` (or adds an unknown key) with a hostile value. */
export function mutate (value: unknown): fc.Arbitrary<unknown> {
  const places: Array<Array<string | number>> = []
  const walk = (v: unknown, at: Array<string | number>): void => {
    places.push(at)
    if (at.length > 6) return
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...at, i]))
    else if (v && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, [...at, k])
  }
  walk(value, [])
  return fc.tuple(fc.constantFrom(...places), hostileValue, fc.boolean()).map(([place, hostile, addKey]) => {
    if (place.length === 0) return hostile
    const copy = structuredClone(value) as any
    let parent = copy
    for (const step of place.slice(0, -1)) parent = parent[step]
    const last = place.at(-1)!
    if (addKey && parent && typeof parent === 'object' && !Array.isArray(parent)) parent[`unknown_${String(last)}`] = hostile
    else parent[last] = hostile
    return copy
  })
}
