/**
 * What a child process is doing, for a test that gave up waiting on it: each thread's state, CPU
 * ticks and kernel wait channel from /proc (Linux), and, when the child can still answer, its Node
 * diagnostic report (JavaScript stack, native stack, libuv handles). It describes; it times nothing.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** How long the threads are watched (CPU ticks before and after) to tell spinning from sleeping. */
const OBSERVE_MS = 1_000

/** How long, after SIGUSR2, to wait for the child's report before describing it without one. */
export const REPORT_WAIT_MS = 3_000

/**
 * Node's flags for a child that may be asked for a report: SIGUSR2 writes one (JSON) into `dir`.
 * Node writes it from the child's event loop, so none comes when the main thread never gets back
 * to the loop (blocked in native code, or in a synchronous JavaScript loop).
 */
export function reportFlags(dir: string): string[] {
  return ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${dir}`]
}

const STATES: Record<string, string> = {
  R: 'running',
  S: 'sleeping',
  D: 'uninterruptible wait (disk or kernel)',
  Z: 'zombie',
  T: 'stopped',
  t: 'stopped by a tracer',
  X: 'dead',
  I: 'idle',
}

/** One thread, from /proc/<pid>/task/<tid>/{stat,wchan}. */
interface ThreadState {
  readonly tid: string
  readonly name: string
  readonly state: string
  /** utime + stime, in clock ticks. */
  readonly ticks: number
  readonly wchan: string
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return undefined
  }
}

function threadState(dir: string, tid: string): ThreadState | undefined {
  const stat = readProc(join(dir, 'stat'))
  if (!stat) return undefined
  // "tid (name) state ppid ..." where the name may hold spaces and parentheses: split after the last ')'.
  const close = stat.lastIndexOf(')')
  const fields = stat.slice(close + 2).split(' ')
  const wchan = readProc(join(dir, 'wchan'))
  return {
    tid,
    name: stat.slice(stat.indexOf('(') + 1, close),
    state: fields[0] ?? '?',
    ticks: Number(fields[11]) + Number(fields[12]),
    wchan: !wchan || wchan === '0' ? '-' : wchan,
  }
}

/** The process's threads, main thread first; undefined off Linux or once the process is gone. */
function threadStates(pid: number): ThreadState[] | undefined {
  if (process.platform !== 'linux') return undefined
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`).sort((a, b) => Number(a) - Number(b))
  } catch {
    return undefined
  }
  return tids.flatMap((tid) => threadState(`/proc/${pid}/task/${tid}`, tid) ?? [])
}

/** /proc counts CPU time in USER_HZ ticks, 100 a second on Linux whatever the kernel's own rate. */
const TICKS_PER_SECOND = 100

/** The processes `pid` started (the esbuild service of tsx, when it runs from source), one line each. */
function childProcesses(pid: number): string[] {
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return []
  }
  const pids = tids.flatMap((tid) => (readProc(`/proc/${pid}/task/${tid}/children`) ?? '').split(' ').filter(Boolean))
  return pids.map((child) => {
    const state = threadState(`/proc/${child}`, child)
    const command = (readProc(`/proc/${child}/cmdline`) ?? '').split('\0').join(' ').slice(0, 200)
    return state
      ? `  ${child} ${state.state} (${STATES[state.state] ?? '?'}), CPU ticks ${state.ticks}, wchan ${state.wchan}: ${command}`
      : `  ${child} (gone)`
  })
}

function describeThreads(
  before: ThreadState[] | undefined,
  after: ThreadState[] | undefined,
  pid: number,
  seconds: number,
): string {
  if (process.platform !== 'linux') return 'thread states: not on Linux (no /proc)'
  if (!before?.length) return `thread states: /proc/${pid} is gone`
  const main = before[0]!
  const mainAfter = after?.find((thread) => thread.tid === main.tid)
  const lines = before.map((thread) => {
    const later = after?.find((other) => other.tid === thread.tid)
    const ticks = later ? `${thread.ticks} -> ${later.ticks}` : `${thread.ticks} -> (gone)`
    return `  ${thread.tid} ${thread.name.padEnd(15)} ${thread.state} (${STATES[thread.state] ?? '?'}), CPU ticks ${ticks}, wchan ${later?.wchan ?? thread.wchan}`
  })
  let verdict = `main thread: ${main.state} (${STATES[main.state] ?? '?'}), gone before the second look`
  if (mainAfter) {
    // Writing the report costs the main thread a few ticks itself: a share, not "any tick", tells.
    const used = mainAfter.ticks - main.ticks
    const share = used / Math.max(1, seconds * TICKS_PER_SECOND)
    // Runnable at both looks and using CPU is spinning, however loaded the machine (a starved
    // spinner gets little CPU but stays runnable); asleep at both with little CPU is waiting.
    const runnable = main.state === 'R' && mainAfter.state === 'R'
    const asleep = main.state !== 'R' && mainAfter.state !== 'R'
    const reading =
      (runnable && used > 0) || share >= 0.5
        ? 'busy: it spins (computing, or a synchronous loop)'
        : asleep && share <= 0.15
          ? `mostly sleeping: it waits on something (wchan ${mainAfter.wchan})`
          : 'partly busy'
    verdict = `main thread: ${main.state} (${STATES[main.state] ?? '?'}), used ${used} CPU ticks in ${seconds.toFixed(1)} s (${Math.round(share * 100)}% of a core): ${reading}`
  }
  const children = childProcesses(pid)
  return [
    verdict,
    'threads (tid name state, CPU ticks before -> after, wchan):',
    ...lines,
    `child processes:${children.length ? '' : ' none'}`,
    ...children,
  ].join('\n')
}

interface NodeReport {
  readonly javascriptStack?: { readonly message?: string; readonly stack?: readonly string[] }
  readonly nativeStack?: readonly { readonly pc?: string; readonly symbol?: string }[]
  readonly libuv?: readonly {
    readonly type?: string
    readonly is_active?: boolean
    readonly is_referenced?: boolean
    readonly localEndpoint?: { readonly host?: string; readonly port?: number } | null
  }[]
}

/** The first complete report in `dir` (one still being written does not parse yet). */
function readReport(dir: string): NodeReport | undefined {
  let names: string[]
  try {
    names = readdirSync(dir).filter((name) => name.startsWith('report.') && name.endsWith('.json'))
  } catch {
    return undefined
  }
  for (const name of names) {
    try {
      return JSON.parse(readFileSync(join(dir, name), 'utf8')) as NodeReport
    } catch {
      // still being written
    }
  }
  return undefined
}

function describeReport(report: NodeReport | undefined): string {
  if (!report)
    return `no diagnostic report within ${REPORT_WAIT_MS / 1000} s of SIGUSR2: the main thread never got back to its event loop, so it is blocked in native code (or in a synchronous JavaScript loop: see its CPU ticks above)`
  const js = report.javascriptStack
  const stack = (js?.stack ?? []).filter((line) => line.trim() && !/^Unavailable/.test(line.trim()))
  // The report's own frames (the signal's handler writing it) say nothing: skip them.
  const native = (report.nativeStack ?? [])
    .filter((frame) => !/Report|report::|HandleApiCall|FunctionCallbackArguments/.test(frame.symbol ?? ''))
    .slice(0, 8)
    .map((frame) => `    ${frame.pc ?? ''} ${frame.symbol ?? ''}`)
  const handles = (report.libuv ?? [])
    .filter((handle) => handle.is_active && handle.is_referenced)
    .map(
      (handle) =>
        `    ${handle.type}${handle.localEndpoint ? ` ${handle.localEndpoint.host}:${handle.localEndpoint.port}` : ''}`,
    )
  return [
    'diagnostic report (Node writes it from the event loop, so its main thread was free: it waits on something; see its handles):',
    `  JavaScript: ${js?.message || '(no stack: taken between tasks)'}`,
    ...stack.slice(0, 12).map((line) => `    ${line.trim()}`),
    '  native stack (first frames after those of the report itself):',
    ...(native.length ? native : ['    (none)']),
    '  active libuv handles that keep it alive:',
    ...(handles.length ? handles : ['    (none)']),
  ].join('\n')
}

/**
 * Describes child `pid` (started with {@link reportFlags}`(reportDir)`): its threads from /proc,
 * twice, {@link OBSERVE_MS} apart (the CPU ticks in between tell a spinning thread from a sleeping
 * one), then SIGUSR2 and up to {@link REPORT_WAIT_MS} for its report. Leaves the child running.
 */
export async function describeChild(pid: number | undefined, reportDir: string): Promise<string> {
  if (pid === undefined) return 'the child has no pid (it did not start)'
  // Its threads a second apart, before the report (writing one costs the main thread CPU itself).
  const start = performance.now()
  const before = threadStates(pid)
  await sleep(OBSERVE_MS)
  const after = threadStates(pid)
  const threads = describeThreads(before, after, pid, (performance.now() - start) / 1000)
  let report: NodeReport | undefined
  try {
    process.kill(pid, 'SIGUSR2')
  } catch (error) {
    return `${threads}\nthe child is gone (${(error as Error).message})`
  }
  for (let waited = 0; waited < REPORT_WAIT_MS && !report; waited += 100) {
    await sleep(100)
    report = readReport(reportDir)
  }
  return `${threads}\n${describeReport(report)}`
}
