import { describe, expect, it } from 'vitest'
import { nodeVersionProblem } from '../../src/cli/node-version.ts'

describe('the Node version check', () => {
  it('accepts 22.12 and newer, and says in one line what is wrong with an older Node', () => {
    for (const ok of ['22.12.0', '22.20.1', '23.0.0', '24.21.0', '30.1.2']) expect(nodeVersionProblem(ok), ok).toBeUndefined()
    for (const old of ['20.20.2', '22.11.0', '18.0.0']) {
      const problem = nodeVersionProblem(old)
      expect(problem, old).toContain(`needs Node.js 22.12 or newer (24 recommended), not ${old}`)
      expect(problem!.split('\n')).toHaveLength(1)
    }
    expect(nodeVersionProblem()).toBeUndefined()
  })
})
