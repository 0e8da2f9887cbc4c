import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkDeploy, interpolatedNames, parseCompose, serviceEnvironment } from '../../scripts/deploy-checks.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const compose = parseCompose(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'))
const services = compose.services ?? {}
const upstreamSecret = /^(SPOTIFY|LISTENBRAINZ|OPENWEATHER)_/

describe('deploy files', () => {
  it('agree with package.json, tsconfig.build.json and the env schema (node scripts/check-deploy.ts)', () => {
    expect(checkDeploy(root)).toEqual([])
  })

  it('give the n8n services the tracklake URL and $env access', () => {
    for (const name of ['n8n', 'n8n-import']) {
      const env = serviceEnvironment(services[name]!)
      expect(env.get('TRACKLAKE_URL'), name).toBe('http://tracklake:8080')
      expect(env.get('N8N_BLOCK_ENV_ACCESS_IN_NODE'), name).toBe('false')
      expect(interpolatedNames(env.get('TRACKLAKE_API_TOKEN') ?? ''), name).toEqual(['TRACKLAKE_API_TOKEN'])
    }
  })

  it('give upstream credentials to tracklake only', () => {
    expect([...serviceEnvironment(services.tracklake!).keys()].filter((name) => upstreamSecret.test(name)).length).toBeGreaterThan(0)
    for (const [name, service] of Object.entries(services)) {
      if (name === 'tracklake') continue
      const env = serviceEnvironment(service)
      const received = [...env.keys(), ...[...env.values()].flatMap((value) => interpolatedNames(value ?? ''))]
      expect(received.filter((variable) => upstreamSecret.test(variable)), name).toEqual([])
      expect(JSON.stringify(service), name).not.toMatch(/SPOTIFY_|LISTENBRAINZ_|OPENWEATHER_/)
    }
  })
})
