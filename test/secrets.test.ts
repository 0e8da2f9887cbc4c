import { describe, expect, it } from 'vitest'
import { createSecrets, redactUrl } from '../src/secrets.ts'

describe('secrets', () => {
  it('scrubs known values from strings, nested objects and errors', () => {
    const secrets = createSecrets(['initial-secret'])
    secrets.add('rotated-token-123')
    secrets.add('abc') // too short to be a secret worth matching
    expect(secrets.scrub('a initial-secret b rotated-token-123')).toBe('a [redacted] b [redacted]')
    const err = new Error('refused rotated-token-123')
    const scrubbed = secrets.scrubDeep({ nested: { list: ['initial-secret'] }, err })
    expect(scrubbed.nested.list).toEqual(['[redacted]'])
    expect(scrubbed.err.message).toBe('refused [redacted]')
    expect(scrubbed.err.stack).not.toContain('rotated-token-123')
    expect(secrets.scrub('abc')).toBe('abc')
  })

  it('redacts credentials passed in query strings', () => {
    expect(redactUrl('https://api.openweathermap.org/geo/1.0/direct?q=Berlin&appid=k3y')).toBe('https://api.openweathermap.org/geo/1.0/direct?q=Berlin&appid=%5Bredacted%5D')
    expect(redactUrl('/v1/tables?limit=5&TOKEN=a&client%5Fsecret=b&code=c&password&my-api-key=d&offset=%ZZ#x')).toBe('/v1/tables?limit=5&TOKEN=%5Bredacted%5D&client%5Fsecret=%5Bredacted%5D&code=%5Bredacted%5D&password=%5Bredacted%5D&my-api-key=%5Bredacted%5D&offset=%ZZ#x')
    expect(redactUrl('/v1/tables?q=keyboard&monkey=1&%ZZ=1')).toBe('/v1/tables?q=keyboard&monkey=1&%ZZ=1')
  })
})
