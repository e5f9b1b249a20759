/**
 * CPU time a process has used, split between its main thread (JavaScript, the event loop) and
 * its other threads (libuv's pool, where RSA checks run when they overlap, and V8's compiler and
 * garbage-collector threads). Read from /proc, so Linux only; elsewhere `undefined`.
 */
import { readdirSync, readFileSync } from 'node:fs'

export interface ThreadCpu {
  /** ms of CPU on the main thread. */
  readonly main: number
  /** ms of CPU on every other thread of the process. */
  readonly other: number
}

/** /proc counts in clock ticks of USER_HZ, which Linux fixes at 100 per second. */
const TICK_MS = 10

/** Fields after the command name in /proc/<pid>/task/<tid>/stat: utime and stime. */
const UTIME = 11
const STIME = 12

export function threadCpu(pid: number): ThreadCpu | undefined {
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return undefined
  }
  let main = 0
  let other = 0
  for (const tid of tids) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1')
    } catch {
      continue // the thread ended between the listing and the read
    }
    // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ms = (Number(fields[UTIME]) + Number(fields[STIME])) * TICK_MS
    if (tid === String(pid)) main += ms
    else other += ms
  }
  return { main, other }
}

/** CPU used between two readings, ms (undefined when either is). */
export function cpuBetween(before: ThreadCpu | undefined, after: ThreadCpu | undefined): ThreadCpu | undefined {
  return before && after ? { main: after.main - before.main, other: after.other - before.other } : undefined
}
