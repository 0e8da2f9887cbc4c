/** Readers for values of upstream JSON: anything unexpected reads as null, never as a wrong type. */
export type Obj = Record<string, unknown>

export const obj = (value: unknown): Obj | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? value as Obj : undefined)
export const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null)
export const int = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null)
export const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)
export const bool = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null)
export const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])
