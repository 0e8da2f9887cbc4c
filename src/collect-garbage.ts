/**
 * A full garbage collection now, where the service runs with `--expose-gc` (`npm start` and the Docker image do);
 * elsewhere nothing. V8 collects its old generation when the heap grows, not when a large object becomes garbage: what
 * one step let go stayed resident through the next, and the heap crept by 20 MB through a Daily ETL. A collection
 * takes tens of milliseconds; it runs before work that needs memory.
 */
export function collectGarbage (): void {
  exposedGc()?.()
}

/**
 * A collection of the young generation only (a fraction of a millisecond on a small heap), where `--expose-gc` is on.
 * Buffers that die young wait for the next one: in a thread that allocates little else, that can be many megabytes.
 */
export function collectYoungGarbage (): void {
  exposedGc()?.({ type: 'minor' })
}

type Gc = (options?: { type: 'minor' | 'major' }) => void
const exposedGc = (): Gc | undefined => (globalThis as { gc?: Gc }).gc
