/** Where a command writes: results and progress to `out`, notes and errors to `err`. */
export interface Output {
  write (text: string): void
  isTTY?: boolean
  columns?: number
}

export interface CliIo {
  out: Output
  err: Output
  env: NodeJS.ProcessEnv
  /** a note for the person (stderr), never mixed into results */
  info (line: string): void
}

export function processIo (): CliIo {
  return {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    info: (line) => { process.stderr.write(`${line}\n`) },
  }
}

/** A failure the command explains in one line (exit code 1), or bad usage (2). */
export class CliFailure extends Error {
  readonly exitCode: number

  constructor (message: string, exitCode = 1) {
    super(message)
    this.name = 'CliFailure'
    this.exitCode = exitCode
  }
}

/** The first line of an error's message, for the one-line reason. */
export function oneLine (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('\n').map((line) => line.trim()).filter(Boolean).join('; ')
}
