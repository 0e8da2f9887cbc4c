import Fastify from 'fastify'
import request from 'supertest'
import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { simpleStepRoute, type SimpleStep } from '../../src/batch/simple-step.ts'
import { handleError } from '../../src/error-handler.ts'
import { ErrorSchema } from '../../src/schemas.ts'
import { validationOptions } from '../../src/validation.ts'

/** A step with `queue` units of work, each taking one second of an injected clock. */
const body = { label: Type.Optional(Type.String({ maxLength: 10 })) }
const result = { label: Type.String() }

function countdown (queue: number) {
  let clock = 0
  const left = { queue }
  const step: SimpleStep<typeof body, typeof result> = {
    name: 'toy.countdown',
    tag: 'toy',
    summary: 'counts down',
    description: 'one unit per second',
    body,
    result,
    errors: [],
    defaultMaxSeconds: 3,
    async run (body, { timeUp }) {
      let processed = 0
      while (left.queue > 0 && !timeUp()) {
        clock += 1000
        left.queue--
        processed++
      }
      return { processed, remaining: left.queue, status: 'complete', label: body.label ?? 'none' }
    },
  }
  return { step, now: () => new Date(clock) }
}

describe('a simple step', () => {
  it('works in a time box and answers done: false until everything is through', async () => {
    const { step, now } = countdown(5)
    const app = Fastify({ logger: false, ...validationOptions() })
    app.setErrorHandler(handleError)
    app.addSchema(ErrorSchema)
    await app.register(simpleStepRoute(step, { now }), { prefix: '/toy/countdown' })
    await app.ready()
    const call = (body?: object) => request(app.server).post('/toy/countdown').send(body)
    expect((await call()).body).toEqual({ done: false, processed: 3, remaining: 2, status: 'complete', label: 'none' })
    expect((await call({ maxSeconds: 1, label: 'x' })).body).toEqual({ done: false, processed: 1, remaining: 1, status: 'complete', label: 'x' })
    expect((await call({ maxSeconds: 60 })).body).toMatchObject({ done: true, processed: 1, remaining: 0 })
    expect((await call()).body).toMatchObject({ done: true, processed: 0, remaining: 0 })
    const bad = await call({ maxSeconds: 0 })
    expect(bad.status).toBe(400)
    expect(bad.body.details[0].field).toBe('body.maxSeconds')
    expect((await call({ other: 1 })).body.details[0]).toEqual({ field: 'body.other', problem: 'is not allowed' })
    await app.close()
  })
})
