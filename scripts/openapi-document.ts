import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'

/** The OpenAPI document of the app as built from its route schemas, serialised the way it is committed. */
export async function openApiDocument (): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tracklake-openapi-'))
  // Only the defaults: the document must not depend on the environment it was generated in.
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', TRACKLAKE_DATA_DIR: dir }))
  try {
    await app.ready()
    return JSON.stringify(app.swagger(), null, 2) + '\n'
  } finally {
    await app.close()
    await fs.rm(dir, { recursive: true, force: true })
  }
}
