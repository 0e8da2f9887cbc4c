import path from 'node:path'

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const batchEndpointModes = ['auto', 'on', 'off'] as const
export const geocoders = ['geonames', 'openweather'] as const
export const switches = ['on', 'off'] as const

export type LogLevel = typeof logLevels[number]
export type BatchEndpointMode = typeof batchEndpointModes[number]
export type Geocoder = typeof geocoders[number]

export interface Config {
  port: number
  host: string
  logLevel: LogLevel
  dataDir: string
  apiToken: string | undefined
  timezone: string
  userId: string
  bodyTimeoutSeconds: number
  /** raw/ retention: 0 switches a limit off */
  raw: {
    maxDays: number
    maxMb: number
  }
  spotify: {
    clientId: string | undefined
    clientSecret: string | undefined
    refreshToken: string | undefined
    apiUrl: string
    accountsUrl: string
    batchEndpoints: BatchEndpointMode
  }
  listenbrainz: {
    user: string | undefined
    token: string | undefined
    url: string
  }
  musicbrainz: {
    url: string
    contact: string | undefined
    ratePerSec: number
  }
  geocoder: Geocoder
  openweather: {
    apiKey: string | undefined
    url: string
  }
}

type Parser<T> = (raw: string) => T

interface EnvVar<T> {
  parse: Parser<T>
  default?: T
  secret?: boolean
  description: string
}

class InvalidValue extends Error {}

const text: Parser<string> = (raw) => raw

const integer = (min: number, max: number): Parser<number> => (raw) => {
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new InvalidValue(`must be an integer from ${min} to ${max}`)
  return value
}

const positiveNumber = (max: number): Parser<number> => (raw) => {
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new InvalidValue(`must be a number greater than 0 and at most ${max}`)
  return value
}

const oneOf = <T extends string>(values: readonly T[]): Parser<T> => (raw) => {
  if (!values.includes(raw as T)) throw new InvalidValue(`must be one of ${values.join(', ')}`)
  return raw as T
}

const httpUrl: Parser<string> = (raw) => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new InvalidValue('must be an absolute http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidValue('must be an absolute http(s) URL')
  if (url.username || url.password) throw new InvalidValue('must not carry credentials')
  return raw.replace(/\/+$/, '')
}

const timezoneRule = 'must be an IANA time zone such as UTC or Europe/Berlin'

/**
 * The shape of a zone name only: whether DuckDB knows the zone is asked when the service starts (`engineTimezone`), since
 * its time zone data converts the times. Asking Intl here would load ICU's zone and locale data into the service for
 * good (about 9 MB resident).
 */
const timezone: Parser<string> = (raw) => {
  if (!/^[A-Za-z][\w+-]*(\/[\w+-]+)*$/.test(raw) || raw.length > 64) throw new InvalidValue(timezoneRule)
  return raw
}

/** The problem line of a zone DuckDB does not know, as loadConfig words the others. */
export const unknownTimezone = (raw: string): ConfigError => new ConfigError([`TRACKLAKE_TIMEZONE ${timezoneRule} (got ${JSON.stringify(raw)})`])

const userId: Parser<string> = (raw) => {
  if (!/^[\w.@-]{1,64}$/.test(raw)) throw new InvalidValue('must be 1 to 64 letters, digits, or . _ @ -')
  return raw
}

/**
 * Every environment variable the service reads. Empty values count as unset, so a compose file can pass
 * `VAR=${VAR:-}` through without turning an absent credential into an invalid one.
 */
export const envSchema = {
  PORT: { parse: integer(1, 65535), default: 8080, description: 'HTTP port' },
  HOST: { parse: text, default: '127.0.0.1', description: 'interface to listen on (0.0.0.0 in containers)' },
  LOG_LEVEL: { parse: oneOf(logLevels), default: 'info', description: 'pino log level' },
  TRACKLAKE_DATA_DIR: { parse: text, default: './data', description: 'folder holding lake/, raw/ and state/' },
  TRACKLAKE_API_TOKEN: { parse: text, secret: true, description: 'when set, every /v1 route needs Authorization: Bearer <token>' },
  TRACKLAKE_TIMEZONE: { parse: timezone, default: 'UTC', description: 'local time zone for reports' },
  TRACKLAKE_USER_ID: { parse: userId, default: 'me', description: 'user_id stored with every play' },
  TRACKLAKE_BODY_TIMEOUT_SECONDS: { parse: integer(1, 3600), default: 60, description: 'a request body that sends nothing for this long is answered 408 and dropped' },
  TRACKLAKE_RAW_MAX_DAYS: { parse: integer(0, 36500), default: 90, description: 'raw/ keeps upstream answers this many days (0: no age limit); what a parse still needs always stays' },
  TRACKLAKE_RAW_MAX_MB: { parse: integer(0, 10_000_000), default: 2048, description: 'raw/ is trimmed to this many MB, oldest first (0: no size limit); what a parse still needs always stays' },
  // Read as the service starts, before this schema (src/service-restart.ts); validated here with the rest.
  TRACKLAKE_V8_LITE_MODE: { parse: oneOf(switches), default: 'on', description: '`serve` runs V8 in lite mode: 15-25 MB smaller, JavaScript-bound work (GeoNames geocoding, raw retention, a JSON upload) 2-5x slower; off for a machine with memory to spare' },
  SPOTIFY_CLIENT_ID: { parse: text, description: 'Spotify app client id' },
  SPOTIFY_CLIENT_SECRET: { parse: text, secret: true, description: 'Spotify app client secret' },
  SPOTIFY_REFRESH_TOKEN: { parse: text, secret: true, description: 'refresh token with scope user-read-recently-played' },
  SPOTIFY_API_URL: { parse: httpUrl, default: 'https://api.spotify.com', description: 'Spotify Web API base URL' },
  SPOTIFY_ACCOUNTS_URL: { parse: httpUrl, default: 'https://accounts.spotify.com', description: 'Spotify accounts (token) base URL' },
  SPOTIFY_BATCH_ENDPOINTS: { parse: oneOf(batchEndpointModes), default: 'auto', description: 'use ?ids= batch lookups: auto, on or off' },
  LISTENBRAINZ_USER: { parse: text, description: 'ListenBrainz user name to read listens from' },
  LISTENBRAINZ_TOKEN: { parse: text, secret: true, description: 'ListenBrainz user token (optional for public listens)' },
  LISTENBRAINZ_URL: { parse: httpUrl, default: 'https://api.listenbrainz.org', description: 'ListenBrainz API base URL' },
  MUSICBRAINZ_URL: { parse: httpUrl, default: 'https://musicbrainz.org', description: 'MusicBrainz base URL' },
  MUSICBRAINZ_CONTACT: { parse: text, description: 'contact URL or e-mail sent in the MusicBrainz User-Agent' },
  MUSICBRAINZ_RATE_PER_SEC: { parse: positiveNumber(50), default: 1, description: 'MusicBrainz requests per second (1 for musicbrainz.org)' },
  GEOCODER: { parse: oneOf(geocoders), default: 'geonames', description: 'geonames (offline) or openweather' },
  OPENWEATHER_API_KEY: { parse: text, secret: true, description: 'OpenWeather API key (GEOCODER=openweather)' },
  OPENWEATHER_URL: { parse: httpUrl, default: 'https://api.openweathermap.org', description: 'OpenWeather base URL' },
} satisfies Record<string, EnvVar<unknown>>

export type EnvName = keyof typeof envSchema
export const envNames = Object.keys(envSchema) as EnvName[]
export const secretEnvNames = envNames.filter((name) => (envSchema[name] as EnvVar<unknown>).secret === true)

export class ConfigError extends Error {
  readonly problems: string[]

  constructor (problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

type Parsed = { [K in EnvName]: ReturnType<(typeof envSchema)[K]['parse']> | undefined }

/** Reads and validates the environment once; every other module receives the frozen result. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = []
  const values = {} as Record<EnvName, unknown>
  for (const name of envNames) {
    const spec = envSchema[name] as EnvVar<unknown>
    const raw = env[name]?.trim()
    if (raw === undefined || raw === '') {
      values[name] = spec.default
      continue
    }
    try {
      values[name] = spec.parse(raw)
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err
      // Secrets never appear in messages, not even when they are malformed.
      const shown = spec.secret ? '' : ` (got ${JSON.stringify(raw.length > 80 ? raw.slice(0, 80) + '…' : raw)})`
      problems.push(`${name} ${err.message}${shown}`)
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  const v = values as Parsed

  return deepFreeze({
    port: v.PORT!,
    host: v.HOST!,
    logLevel: v.LOG_LEVEL!,
    dataDir: path.resolve(v.TRACKLAKE_DATA_DIR!),
    apiToken: v.TRACKLAKE_API_TOKEN,
    timezone: v.TRACKLAKE_TIMEZONE!,
    userId: v.TRACKLAKE_USER_ID!,
    bodyTimeoutSeconds: v.TRACKLAKE_BODY_TIMEOUT_SECONDS!,
    raw: {
      maxDays: v.TRACKLAKE_RAW_MAX_DAYS!,
      maxMb: v.TRACKLAKE_RAW_MAX_MB!,
    },
    spotify: {
      clientId: v.SPOTIFY_CLIENT_ID,
      clientSecret: v.SPOTIFY_CLIENT_SECRET,
      refreshToken: v.SPOTIFY_REFRESH_TOKEN,
      apiUrl: v.SPOTIFY_API_URL!,
      accountsUrl: v.SPOTIFY_ACCOUNTS_URL!,
      batchEndpoints: v.SPOTIFY_BATCH_ENDPOINTS!,
    },
    listenbrainz: {
      user: v.LISTENBRAINZ_USER,
      token: v.LISTENBRAINZ_TOKEN,
      url: v.LISTENBRAINZ_URL!,
    },
    musicbrainz: {
      url: v.MUSICBRAINZ_URL!,
      contact: v.MUSICBRAINZ_CONTACT,
      ratePerSec: v.MUSICBRAINZ_RATE_PER_SEC!,
    },
    geocoder: v.GEOCODER!,
    openweather: {
      apiKey: v.OPENWEATHER_API_KEY,
      url: v.OPENWEATHER_URL!,
    },
  })
}

/** The secret values present in a config, for the log scrubber. */
export function configSecrets (config: Config): string[] {
  return [
    config.apiToken,
    config.spotify.clientSecret,
    config.spotify.refreshToken,
    config.listenbrainz.token,
    config.openweather.apiKey,
  ].filter((value): value is string => typeof value === 'string' && value.length > 0)
}

function deepFreeze<T> (value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
