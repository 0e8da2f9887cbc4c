/**
 * errno codes (Node's fs errors) and their strerror texts (DuckDB's IO errors carry only a message) of a data directory
 * that cannot take writes: these are the disk's state, not a bug, and calling again helps once it is fixed.
 */
const unavailableStates = [
  { codes: ['ENOSPC', 'EDQUOT', 'EFBIG'], text: /No space left on device|Disk quota exceeded|File too large/i, state: 'is full' },
  { codes: ['EROFS'], text: /Read-only file system/i, state: 'is read-only' },
  { codes: ['EACCES', 'EPERM'], text: /Permission denied|Operation not permitted/i, state: 'is not writable' },
]

/** What is wrong with the data directory when `err` (or one of its causes) says it is full or not writable. */
export function dataDirUnavailable (err: unknown): { code: string, state: string } | undefined {
  for (let cause = err, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    const code = (cause as NodeJS.ErrnoException).code
    for (const entry of unavailableStates) {
      if (code && entry.codes.includes(code)) return { code, state: entry.state }
      if (entry.text.test(cause.message)) return { code: entry.codes[0]!, state: entry.state }
    }
  }
  return undefined
}
