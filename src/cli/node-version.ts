/**
 * Imported first by src/cli.ts and src/server.ts, before anything that needs a newer Node: keep it free of imports and
 * of syntax an old Node cannot parse.
 */
export const minimumNode = [22, 12] as const

/** One line saying what is wrong with this Node, or undefined when it will do. */
export function nodeVersionProblem (version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  if (major > minimumNode[0] || (major === minimumNode[0] && minor >= minimumNode[1])) return undefined
  return `tracklake needs Node.js ${minimumNode.join('.')} or newer (24 recommended), not ${version}; DEVELOPERS.md shows how to add Node 24 beside the system's.`
}
