import { createHttpClient } from '../../../src/http/client.ts'
import { userAgent } from '../../../src/http/upstream.ts'
import type { MusicBrainzSend } from '../../../src/stages/musicbrainz/client.ts'

/**
 * A plain `send` for tests: the project's HTTP client on the fake's 127.0.0.1 URL, no retries, no pacing (the stage
 * backs `send` with the shared rate-limited transport instead).
 */
export function testSend (baseUrl: string, options: { agent?: string, timeoutMs?: number } = {}): MusicBrainzSend {
  const http = createHttpClient({
    name: 'MusicBrainz',
    baseUrl,
    userAgent: options.agent ?? userAgent('tests@tracklake.invalid'),
    timeoutMs: options.timeoutMs ?? 5_000,
  })
  return async (request) => {
    const response = await http.request({ url: request.path, searchParams: request.searchParams })
    return { status: response.status, json: response.json, url: response.url, text: response.text }
  }
}
