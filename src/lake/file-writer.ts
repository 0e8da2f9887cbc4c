import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'

/** A file written chunk by chunk, waiting only when the stream asks to. */
export interface FileWriter {
  write (chunk: Buffer | string): void | Promise<void>
  /** Flushes and closes the file; rejects with the stream's error, whenever it came. */
  end (): Promise<void>
  destroy (): void
}

/**
 * A write stream whose error is never left unheard. A stream's 'error' with no listener ends the process, and a data
 * directory that turns read-only or full emits one between two writes, while nobody waits on the stream (the fault
 * suite's read-only disk took the service down this way). The error is kept and thrown by the next write or the end.
 */
export function openFileWriter (file: string): FileWriter {
  const out = createWriteStream(file)
  out.on('error', () => {})
  return {
    write (chunk) {
      if (out.errored) throw out.errored
      if (out.write(chunk)) return
      if (out.errored) return Promise.reject(out.errored)
      return once(out, 'drain').then(() => {})
    },
    async end () {
      if (out.errored) throw out.errored
      out.end()
      await finished(out)
    },
    destroy () { out.destroy() },
  }
}

/**
 * Writes `chunks` to `file`, showing each to `seen` on the way. On a failure the file is left unfinished (its caller's
 * work folder throws it away) and the error is thrown.
 */
export async function writeChunks (file: string, chunks: AsyncIterable<Buffer>, seen?: (chunk: Buffer) => void): Promise<void> {
  const out = openFileWriter(file)
  try {
    for await (const chunk of chunks) {
      seen?.(chunk)
      await out.write(chunk)
    }
    await out.end()
  } catch (err) {
    out.destroy()
    throw err
  }
}
