/**
 * CPU profiles of dynamic-guard's cold paths, for the bench's closing notes. Started by
 * bench/cases/profile.ts with a JSON file of tokens and verifier options (minted by the bench's
 * fixture, so this process mints nothing):
 *
 *   node --import tsx bench/profile-paths.ts <fixture.json> <one|concurrent> <out.cpuprofile>
 *
 * `one`: new tokens one at a time; `concurrent`: new tokens, 64 in flight. The verified-token
 * cache is off (every token is new). Only the measured phase is profiled (node:inspector), on the
 * main thread: the thread pool's RSA work shows in the process CPU time printed as JSON at the end
 * (`cpuUs`, all threads; `mainCpuUs`, the main thread alone where Linux's /proc says), not in the profile.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createDynamicAuth } from '../src/index.js'

const [fixtureFile, phase, out] = process.argv.slice(2) as [string, 'one' | 'concurrent', string]
const fixture = JSON.parse(readFileSync(fixtureFile, 'utf8')) as {
  options: { environmentId: string; staticKeys: { jwks: { keys: object[] } } }
  tokens: string[]
}
const { tokens } = fixture
const auth = createDynamicAuth({ ...fixture.options, advanced: { tokenCacheSize: 0 } })
const MS = 3000

let next = 0
const token = (): string => {
  const t = tokens[next]!
  next = next + 1 === tokens.length ? 0 : next + 1
  return t
}

async function oneAtATime(ms: number): Promise<number> {
  let n = 0
  const end = performance.now() + ms
  while (performance.now() < end) {
    for (let k = 0; k < 16; k++) await auth.verifyToken(token())
    n += 16
  }
  return n
}

async function concurrent(ms: number): Promise<number> {
  let n = 0
  const end = performance.now() + ms
  const caller = async (): Promise<void> => {
    while (performance.now() < end) {
      await auth.verifyToken(token())
      n++
    }
  }
  await Promise.all(Array.from({ length: 64 }, caller))
  return n
}

/** The main thread's own CPU time in µs (Linux: /proc/self/task/<pid>/stat, 10 ms ticks), else undefined. */
function mainThreadCpuUs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000 // utime + stime, in ticks of 1/100 s
  } catch {
    return undefined
  }
}

const run = phase === 'one' ? oneAtATime : concurrent
await run(500) // warm-up, not profiled
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 100 })
await session.post('Profiler.start')
const cpu = process.cpuUsage()
const mainBefore = mainThreadCpuUs()
const started = performance.now()
const n = await run(MS)
const wallMs = performance.now() - started
const used = process.cpuUsage(cpu)
const mainAfter = mainThreadCpuUs()
const { profile } = await session.post('Profiler.stop')
session.disconnect()
writeFileSync(out, JSON.stringify(profile))
const mainCpuUs = mainBefore === undefined || mainAfter === undefined ? undefined : mainAfter - mainBefore
console.log(JSON.stringify({ phase, verifications: n, wallMs, cpuUs: used.user + used.system, mainCpuUs }))
