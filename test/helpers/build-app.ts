import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppDeps } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config.ts'

export interface TestApp {
  app: FastifyInstance
  config: Config
  dataDir: string
  close (): Promise<void>
}

export async function makeTempDir (prefix = 'tracklake-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix))
}

/** The real app on a temporary lake, configured like a user would (environment variables), with fast retries. */
export async function buildTestApp (env: Record<string, string> = {}, deps: AppDeps = {}, dataDir?: string): Promise<TestApp> {
  const dir = dataDir ?? await makeTempDir()
  const config = loadConfig({ LOG_LEVEL: 'silent', TRACKLAKE_DATA_DIR: dir, ...env })
  const app = await buildApp(config, {
    upstream: { timeoutMs: 2000, retries: 2, retryBaseMs: 10, ...deps.upstream },
    sleep: async () => {},
    ...deps,
  })
  await app.ready()
  return {
    app,
    config,
    dataDir: dir,
    async close () {
      await app.close()
      if (!dataDir) await fs.rm(dir, { recursive: true, force: true })
    },
  }
}

/** Closes a test app and removes its data directory, also one the test made and handed to it. */
export async function closeAndRemove (t: TestApp | undefined): Promise<void> {
  const dir = t?.dataDir
  await t?.close()
  if (dir) await fs.rm(dir, { recursive: true, force: true })
}

export function spotifyEnv (url: string): Record<string, string> {
  return {
    SPOTIFY_CLIENT_ID: 'test-client-id',
    SPOTIFY_CLIENT_SECRET: 'test-client-secret',
    SPOTIFY_REFRESH_TOKEN: 'test-refresh-token',
    SPOTIFY_API_URL: url,
    SPOTIFY_ACCOUNTS_URL: url,
  }
}
