import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { handleError } from '../src/error-handler.ts'

async function appThrowing (err: Error) {
  const app = Fastify({ logger: false })
  app.setErrorHandler(handleError)
  app.get('/boom', async () => { throw err })
  await app.ready()
  return app
}

describe('handleError', () => {
  it('answers 503 LAKE_UNAVAILABLE, retryable and without the path, for a full data directory met outside a lake write', async () => {
    const app = await appThrowing(Object.assign(new Error("ENOSPC: no space left on device, write '/srv/data/tmp/upload.zip'"), { code: 'ENOSPC' }))
    const res = await app.inject({ method: 'GET', url: '/boom' })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ code: 'LAKE_UNAVAILABLE', retryable: true, message: expect.stringMatching(/data directory is full \(ENOSPC\)/) })
    expect(res.body).not.toContain('/srv/data')
    await app.close()
  })

  it('answers 503 for a read-only one too, and keeps 500 INTERNAL_ERROR for anything else', async () => {
    const readOnly = await appThrowing(Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS' }))
    expect((await readOnly.inject({ method: 'GET', url: '/boom' })).json()).toMatchObject({ statusCode: 503, code: 'LAKE_UNAVAILABLE' })
    await readOnly.close()
    const other = await appThrowing(new Error('something else'))
    expect((await other.inject({ method: 'GET', url: '/boom' })).json()).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' })
    await other.close()
  })
})
