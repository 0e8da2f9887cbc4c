import { AppError, truncate } from '../../errors.ts'

/** Building the answers about an export's files, shared by the zip reader and the entry parser. */

export const megabytes = (bytes: number): string => `${Math.ceil(bytes / 1024 / 1024)} MB`

/** An underlying error's message, short: yauzl's messages quote entry names, which can be 64 KB long. */
export const shortReason = (err: unknown): string => truncate(String((err as Error | undefined)?.message ?? err), 200)

/** A 400 about one file of an export, naming the field and the problem. */
export function invalidExport (file: string, message: string, field: string, problem: string): AppError {
  return new AppError('INVALID_EXPORT', `${file}: ${message}`, { details: [{ field, problem }] })
}
