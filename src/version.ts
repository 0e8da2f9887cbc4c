import { readFileSync } from 'node:fs'

/** The package version, read once: the User-Agent, the OpenAPI document and the CLI all show it. */
export const version: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
