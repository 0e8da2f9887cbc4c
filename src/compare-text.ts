/**
 * Code-unit order, the same on every machine. `localeCompare` would load ICU's collation data into the service for
 * good (a few MB resident) for tie-breaks that need no language.
 */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
