import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'

describe('config', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', timezone: 'UTC', userId: 'me', geocoder: 'geonames' })
    expect(config.spotify.batchEndpoints).toBe('auto')
    expect(Object.isFrozen(config.spotify)).toBe(true)
  })

  it('stops with a message naming each bad variable', () => {
    let error: unknown
    try {
      loadConfig({ PORT: 'eighty', SPOTIFY_API_URL: 'not a url', TRACKLAKE_TIMEZONE: 'Mars Olympus', SPOTIFY_BATCH_ENDPOINTS: 'sometimes', TRACKLAKE_V8_LITE_MODE: 'maybe' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as ConfigError).message
    for (const name of ['PORT', 'SPOTIFY_API_URL', 'TRACKLAKE_TIMEZONE', 'SPOTIFY_BATCH_ENDPOINTS', 'TRACKLAKE_V8_LITE_MODE']) expect(message).toContain(name)
    expect(message).toContain('TRACKLAKE_V8_LITE_MODE must be one of on, off')
    expect(message).toContain('"eighty"')
  })

  it('treats empty values as unset and trims the base URLs', () => {
    const config = loadConfig({ SPOTIFY_CLIENT_ID: '', PORT: '', SPOTIFY_API_URL: 'http://127.0.0.1:9999/' })
    expect(config.spotify.clientId).toBeUndefined()
    expect(config.port).toBe(8080)
    expect(config.spotify.apiUrl).toBe('http://127.0.0.1:9999')
  })

  it('never shows a secret in its messages', () => {
    expect(() => loadConfig({ MUSICBRAINZ_RATE_PER_SEC: '0', SPOTIFY_CLIENT_SECRET: 'hunter2-secret' })).toThrow(ConfigError)
    try {
      loadConfig({ MUSICBRAINZ_RATE_PER_SEC: '0', SPOTIFY_CLIENT_SECRET: 'hunter2-secret' })
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2')
    }
  })
})
