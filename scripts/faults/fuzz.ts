import type { Suite } from './suite.ts'

export async function runFuzzSection (_suite: Suite): Promise<void> {}
