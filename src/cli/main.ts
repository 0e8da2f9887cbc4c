import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { ConfigError, loadConfig, type Config } from '../config.ts'
import { allSteps, dailyChain } from '../daily/steps.ts'
import { version } from '../version.ts'
import { CliFailure, oneLine, processIo, type CliIo } from './io.ts'

const integerIn = (min: number, max: number) => (raw: string): number => {
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`)
  return value
}

const exitCodes = `
Exit codes: 0 success, 1 failure (with a one-line reason), 2 bad usage, 130 stopped by Ctrl-C.
Configuration comes from the environment (README: Configuration); --env-file reads a .env file first.`

function stepList (): string {
  const width = Math.max(...allSteps.map((s) => s.name.length))
  const daily = new Set(dailyChain.map((s) => s.name))
  return [
    '',
    'Steps (the Daily ETL runs the first ones in this order):',
    ...allSteps.map((s) => `  ${s.name.padEnd(width)}  ${s.title}${daily.has(s.name) ? '' : ' (not in the Daily ETL)'}`),
  ].join('\n')
}

// Commands are imported when they run: --help and bad usage answer at once, without loading DuckDB and the app.

/** Parses the command line and runs one command; answers the exit code, or undefined for `serve` (it keeps running). */
export async function main (argv: string[], io: CliIo = processIo()): Promise<number | undefined> {
  let code: number | undefined = 0
  // A ConfigError, from here or from the lake's time zone check, is worded once where the command fails (below).
  const config = (): Config => loadConfig(io.env)

  const program = new Command('tracklake')
    .description('Your music listening history in an open parquet lake: the service, and its steps from the command line.')
    .version(version)
    .option('--env-file <file>', 'read environment variables from this file first (a .env file)')
    .addHelpText('after', exitCodes)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out.write(text), writeErr: (text) => io.err.write(text) })
  program.hook('preAction', () => {
    const file = program.opts<{ envFile?: string }>().envFile
    if (!file) return
    try {
      process.loadEnvFile(file)
    } catch (err) {
      throw new CliFailure(`--env-file ${file}: ${oneLine(err)}`)
    }
  })

  program.command('serve')
    .description('run the service (what npm start and the container run)')
    .addHelpText('after', exitCodes)
    .action(async () => {
      const settings = config()
      const { serve } = await import('./serve.ts')
      await serve(settings)
      code = undefined
    })

  program.command('run')
    .description('run the Daily ETL or one step in-process, against the same lake (or through the service when it holds the lake)')
    .argument('<step>', 'daily, or one of the steps below')
    .option('--restart', 'run daily: start a new run instead of continuing an unfinished one')
    .addHelpText('after', `${stepList()}\n\nA progress bar per step on a terminal, plain lines otherwise, and a summary table at the end.\nCtrl-C stops after the current batch: what was written stays, and the same command continues.${exitCodes}`)
    .action(async (step: string, options: { restart?: boolean }) => {
      const settings = config()
      const { runCommand } = await import('./run.ts')
      code = await runCommand(step, options, settings, io)
    })

  program.command('import-history')
    .description('import Spotify\'s extended streaming history: the export zip, a folder of Streaming_History_Audio_*.json, or one such file')
    .argument('<path>', 'my_spotify_data.zip, its unpacked folder, or one Streaming_History_Audio_*.json')
    .addHelpText('after', `\nThe same import as POST /v1/ingest/streaming-history: importing the same export twice adds nothing.${exitCodes}`)
    .action(async (target: string) => {
      const settings = config()
      const { importHistoryCommand } = await import('./import-history.ts')
      code = await importHistoryCommand(target, settings, io)
    })

  const auth = program.command('auth')
    .description('one-time consents')
    .addHelpText('after', exitCodes)
  auth.command('spotify')
    .description('get the Spotify refresh token (scope user-read-recently-played) and store it where the service reads it')
    .option('--port <port>', 'port of the callback http://127.0.0.1:<port>/callback, as listed in your Spotify app', integerIn(1, 65535), 8888)
    .option('--listen <host>', 'interface the callback listens on (0.0.0.0 in a container, with the port published on 127.0.0.1)', '127.0.0.1')
    .option('--no-open', 'only print the address; do not try to open a browser')
    .option('--timeout <seconds>', 'give up after this long', integerIn(1, 86_400), 300)
    .addHelpText('after', `\nNeeds SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET. Spotify does not accept localhost: the redirect URI is 127.0.0.1.${exitCodes}`)
    .action(async (options: { port: number, listen: string, open: boolean, timeout: number }) => {
      const settings = config()
      const { authSpotifyCommand } = await import('./auth-spotify.ts')
      code = await authSpotifyCommand(settings, io, { port: options.port, listen: options.listen, open: options.open, timeoutSeconds: options.timeout })
    })

  program.command('status')
    .description('tables and row counts, the latest runs, failures waiting for retry, the warehouse\'s age')
    .option('--runs <count>', 'how many of the latest runs to show', integerIn(1, 1000), 10)
    .addHelpText('after', exitCodes)
    .action(async (options: { runs: number }) => {
      const settings = config()
      const { statusCommand } = await import('./status.ts')
      code = await statusCommand(settings, io, { runs: options.runs })
    })

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0
      // Help shown because no command was given is bad usage; `tracklake help` is not.
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2
      return 2
    }
    const failure = err instanceof ConfigError ? new CliFailure(`invalid configuration: ${err.problems.join('; ')}`) : err
    io.err.write(`tracklake: ${oneLine(failure)}\n`)
    return failure instanceof CliFailure ? failure.exitCode : 1
  }
  return code
}
