import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * What a bench reads of a child process on Linux (/proc): its resident memory, its peak, and its CPU time. CPU time
 * is steadier than wall time on a machine others share: it counts what the work cost, not how long it waited.
 */

/** Resets VmHWM of a process ("5" to /proc/<pid>/clear_refs), so a peak read later is the peak of what followed. */
export function resetPeak (pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

function statusField (pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : 0
}

export const residentBytes = (pid: number): number => statusField(pid, 'VmRSS')
export const peakBytes = (pid: number): number => statusField(pid, 'VmHWM')

/** User plus system CPU time of a process, in milliseconds (all its threads: DuckDB's too). */
export function cpuMs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** The pids of a process's children (each of its threads' children, /proc/<pid>/task/<tid>/children). */
export function childPids (pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number)
      } catch {
        return []
      }
    })
  } catch {
    return []
  }
}

export interface RssSampler {
  /** highest VmRSS seen since the last `take` */
  take (): number
  /** highest VmHWM of any child process seen since the last `takeChildren` (the export's unpacking process) */
  takeChildren (): number
  stop (): void
}

/**
 * Samples VmRSS every `everyMs`: a peak where VmHWM cannot be reset, and a check on it where it can. Child processes
 * are sampled too: their own peak (VmHWM) is read while they live, so a child that lives a few seconds is seen.
 */
export function sampleRss (pid: number, everyMs = 50): RssSampler {
  let peak = 0
  let childPeak = 0
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, residentBytes(pid))
      for (const child of childPids(pid)) childPeak = Math.max(childPeak, peakBytes(child))
    } catch {}
  }, everyMs)
  timer.unref()
  return {
    take () {
      const seen = peak
      peak = 0
      return seen
    },
    takeChildren () {
      const seen = childPeak
      childPeak = 0
      return seen
    },
    stop: () => clearInterval(timer),
  }
}
