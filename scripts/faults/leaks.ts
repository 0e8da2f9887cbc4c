import os from 'node:os'
import { fileURLToPath } from 'node:url'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '')

/** What an answer must never show: a stack frame, a source position, or a path of this machine. */
const patterns: Array<{ name: string, pattern: RegExp }> = [
  { name: 'a stack frame', pattern: /(?:^|\\n|\n)\s*at (?:async )?\S+ \(?(?:file:\/\/|node:|\/)/ },
  { name: 'a source position', pattern: /\.(?:ts|js|mjs|cjs):\d+/ },
  { name: 'a path under /tmp', pattern: /\/tmp\// },
  { name: 'a path under /work', pattern: /\/work\// },
  { name: 'the temp folder', pattern: new RegExp(os.tmpdir().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') + '/') },
  { name: 'the repository path', pattern: new RegExp(repoRoot.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) },
  { name: 'node_modules', pattern: /node_modules/ },
]

/**
 * Names what `answer` leaks, if anything; `sent` is the request as sent: echoing a client's own input back is not a
 * leak, so a marker the request already held is not counted. `extra` adds literal strings (the data directory).
 */
export function leakIn (answer: string, sent = '', extra: readonly string[] = []): string | undefined {
  for (const literal of extra) {
    if (literal && answer.includes(literal) && !sent.includes(literal)) return `the path ${literal}`
  }
  for (const { name, pattern } of patterns) {
    const found = pattern.exec(answer)
    if (found && !sent.includes(found[0].trim())) return `${name} (${JSON.stringify(found[0].trim())})`
  }
  return undefined
}
