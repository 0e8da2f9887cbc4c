import type { Suite } from './suite.ts'

export async function runDiskSection (_suite: Suite): Promise<void> {}
