import { describe, expect, it } from 'vitest'
import { AppError } from '../src/errors.ts'
import { dataDirUnavailable } from '../src/lake/data-dir-state.ts'
import { receivedError, sendableError } from '../src/sent-errors.ts'

describe('errors between processes', () => {
  it('keep what the service answers by: an AppError its code and details, a disk error its errno', () => {
    const refused = receivedError(sendableError(new AppError('INVALID_EXPORT', 'x.json: is damaged', { details: [{ field: 'x.json', problem: 'must be readable' }] })))
    expect(refused).toBeInstanceOf(AppError)
    expect(refused).toMatchObject({ code: 'INVALID_EXPORT', message: 'x.json: is damaged', details: [{ field: 'x.json', problem: 'must be readable' }] })

    const readOnly = Object.assign(new Error('EROFS: read-only file system, write'), { code: 'EROFS' })
    expect(dataDirUnavailable(receivedError(sendableError(readOnly)))).toEqual({ code: 'EROFS', state: 'is read-only' })
    expect(receivedError(sendableError('a string'))).toMatchObject({ message: 'a string' })
  })
})
