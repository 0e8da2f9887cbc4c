import { randomBytes, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import path from 'node:path'
import Bottleneck from 'bottleneck'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'
import { createStateStore } from '../lake/state-store.ts'
import { createSpotifyConsent, storeRefreshToken } from '../stages/spotify/auth.ts'
import { CliFailure, type CliIo } from './io.ts'
import { openBrowser } from './open-browser.ts'

export interface AuthOptions {
  port: number
  /** interface the callback server listens on (0.0.0.0 inside a container) */
  listen: string
  open: boolean
  timeoutSeconds: number
}

const page = (title: string, text: string): string =>
  `<!doctype html><meta charset="utf-8"><title>tracklake: ${title}</title><body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>${title}</h1><p>${text}</p></body>`

const sameState = (given: string, expected: string): boolean =>
  given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))

/**
 * `tracklake auth spotify`: the one-time consent of the authorization-code flow. Prints (and tries to open) the
 * authorize URL, waits for Spotify to send the browser back to http://127.0.0.1:<port>/callback, refuses a callback whose
 * state is not ours, exchanges the code and stores the refresh token where the service reads it (owner-only).
 */
export async function authSpotifyCommand (config: Config, io: CliIo, options: AuthOptions): Promise<number> {
  const redirectUri = `http://127.0.0.1:${options.port}/callback`
  const state = randomBytes(18).toString('base64url')
  const consent = createSpotifyConsent({
    config,
    upstream: { timeoutMs: 15_000, retries: 2, retryBaseMs: 1000, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), now: () => new Date() },
    limiter: new Bottleneck({ maxConcurrent: 1 }),
  })
  let authorizeUrl: string
  try {
    authorizeUrl = consent.authorizeUrl({ redirectUri, state })
  } catch (err) {
    if (err instanceof AppError) throw new CliFailure(`${err.message} (your app at https://developer.spotify.com/dashboard, with the redirect URI ${redirectUri})`)
    throw err
  }

  let settle!: { resolve: (refreshToken: string) => void, reject: (err: Error) => void }
  const outcome = new Promise<string>((resolve, reject) => { settle = { resolve, reject } })
  let exchanging = false
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', redirectUri)
    const answer = (status: number, title: string, text: string): void => {
      response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', connection: 'close' })
      response.end(page(title, text))
    }
    if (url.pathname !== '/callback') return answer(404, 'Not here', `tracklake waits at ${redirectUri}.`)
    if (!sameState(url.searchParams.get('state') ?? '', state)) {
      io.info('refused a callback whose state does not match this consent (an old tab, or not from Spotify)')
      return answer(400, 'Refused', 'This answer does not belong to the consent tracklake is waiting for (its state does not match). Start again from the address tracklake printed.')
    }
    const error = url.searchParams.get('error')
    if (error) {
      answer(400, 'No consent', `Spotify answered ${error}. Nothing was stored.`)
      return settle.reject(new CliFailure(`Spotify answered ${error}${error === 'access_denied' ? ' (consent was not given)' : ''}; nothing was stored`))
    }
    const code = url.searchParams.get('code')
    if (!code) return answer(400, 'Refused', 'The callback carries no code.')
    if (exchanging) return answer(409, 'Already done', 'tracklake already has an answer; close this tab.')
    exchanging = true
    consent.exchange({ code, redirectUri }).then(({ refreshToken, scope }) => {
      if (scope !== undefined && !scope.split(' ').includes('user-read-recently-played')) {
        answer(400, 'Scope missing', `Spotify granted "${scope}" without user-read-recently-played.`)
        return settle.reject(new CliFailure(`Spotify granted the scope "${scope}" without user-read-recently-played; nothing was stored`))
      }
      answer(200, 'Done', 'tracklake has its refresh token. You can close this tab.')
      settle.resolve(refreshToken)
    }, (err: unknown) => {
      answer(502, 'The exchange failed', 'tracklake could not exchange the code; the terminal says why.')
      settle.reject(new CliFailure(err instanceof Error ? err.message : String(err)))
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new CliFailure(`port ${options.port} is in use: pick another with --port (and add http://127.0.0.1:<port>/callback to your app's redirect URIs)`)
      : err))
    server.listen(options.port, options.listen, resolve)
  }).catch((err: unknown) => { throw err instanceof CliFailure ? err : new CliFailure(`cannot listen on ${options.listen}:${options.port}: ${(err as Error).message}`) })

  io.out.write(`Open this address in a browser and agree (your Spotify app must list the redirect URI ${redirectUri}):\n\n  ${authorizeUrl}\n\n`)
  if (options.open && openBrowser(authorizeUrl)) io.out.write('(tried to open it in your browser)\n')
  io.out.write(`Waiting for Spotify to send the browser back to ${redirectUri} …\n`)

  const timer = setTimeout(() => settle.reject(new CliFailure(`no answer from Spotify within ${options.timeoutSeconds} s; nothing was stored`)), options.timeoutSeconds * 1000)
  timer.unref()
  let refreshToken: string
  try {
    refreshToken = await outcome
  } finally {
    clearTimeout(timer)
    server.closeAllConnections()
    server.close()
  }
  const file = await storeRefreshToken(createStateStore(path.join(config.dataDir, 'state')), config, refreshToken, 'consent')
  io.out.write([
    '',
    `Stored the refresh token in ${file} (readable by you only).`,
    'The service reads it from there, from its next call on: no restart needed, and SPOTIFY_REFRESH_TOKEN can stay unset.',
    config.spotify.refreshToken ? 'SPOTIFY_REFRESH_TOKEN is set: the stored token wins while it keeps this value; set a different value and that one wins.' : '',
    'Next: poll your plays with `curl -X POST localhost:8080/v1/ingest/recently-played` (or `tracklake run ingest-recently-played`),',
    'and repeat `tracklake auth spotify` when Spotify says the token expired (about every six months).',
    '',
  ].filter((line, i, lines) => line !== '' || i === 0 || i === lines.length - 1).join('\n'))
  return 0
}
