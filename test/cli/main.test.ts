import { describe, expect, it } from 'vitest'
import { allSteps } from '../../src/daily/steps.ts'
import { runCli } from '../helpers/cli.ts'

const env = { TRACKLAKE_DATA_DIR: '/nonexistent/never-opened' }

// Every case starts Node processes; the shared CI machines can be slow to.
describe('tracklake (the command line)', { timeout: 180_000 }, () => {
  it('--help on the program and on every command, exit 0', async () => {
    const top = await runCli(['--help'], env)
    expect(top.code).toBe(0)
    for (const command of ['serve', 'run', 'import-history', 'auth', 'status']) expect(top.stdout).toContain(command)
    expect(top.stdout).toContain('Exit codes: 0 success, 1 failure')

    const run = await runCli(['run', '--help'], env)
    expect(run.code).toBe(0)
    for (const step of allSteps) expect(run.stdout).toContain(step.name)

    const commands = [['serve', '--help'], ['import-history', '--help'], ['auth', 'spotify', '--help'], ['status', '--help']]
    const answers = await Promise.all(commands.map((args) => runCli(args, env)))
    answers.forEach((help, i) => {
      const args = commands[i]!
      expect(help.code, args.join(' ')).toBe(0)
      expect(help.stdout, args.join(' ')).toContain(`Usage: tracklake ${args.slice(0, -1).join(' ')}`)
    })
  })

  it('bad usage exits 2 with a one-line reason', async () => {
    const flag = await runCli(['status', '--bogus'], env)
    expect(flag.code).toBe(2)
    expect(flag.stderr.trim()).toBe("error: unknown option '--bogus'")

    const step = await runCli(['run', 'no-such-step'], env)
    expect(step.code).toBe(2)
    expect(step.stderr.trim().split('\n')).toHaveLength(1)
    expect(step.stderr).toContain('unknown step "no-such-step"; run daily or one of: spotify-tracks')

    const port = await runCli(['auth', 'spotify', '--port', 'eighty'], env)
    expect(port.code).toBe(2)
    expect(port.stderr).toContain('must be an integer from 1 to 65535')

    expect((await runCli([], env)).code).toBe(2)
  })

  it('a failure exits 1 with a one-line reason', async () => {
    const config = await runCli(['status'], { ...env, TRACKLAKE_TIMEZONE: 'Mars Olympus', PORT: 'x' })
    expect(config.code).toBe(1)
    expect(config.stderr.trim().split('\n')).toHaveLength(1)
    expect(config.stderr).toMatch(/^tracklake: invalid configuration: PORT must be .*; TRACKLAKE_TIMEZONE must be an IANA time zone/)

    const missing = await runCli(['import-history', '/nonexistent/export.zip'], env)
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim()).toBe('tracklake: /nonexistent/export.zip: no such file or folder')
  })
})
