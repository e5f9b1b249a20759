/**
 * Key rotation under load, in compressed time, as an operator would see it: Fastify servers
 * mounted as the guide shows (documented defaults), about 400 requests a second over 32
 * connections from many users, Dynamic's JWKS rotating (a new key published and signing at once,
 * the old one removed a few seconds later), stray tokens of removed keys and of made-up kids,
 * garbage, the JWKS failing with 500 and then hanging while a new key is published, and at the
 * end a flood of 1,000 made-up kids a second. Run on one server, then on a fleet of two processes
 * sharing the Redis key store.
 *
 * What must hold: no token whose key was published when it was sent is refused with a 401; every
 * 5xx carries Retry-After; a new key met while the JWKS fails is accepted once it answers; the
 * JWKS fetches stay within the documented bounds. Times (publication to first acceptance) are
 * measured and reported as diagnostics, never asserted.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createTestIssuer, type TestIssuer } from '../../src/testing/index.js'
import { failWith, hang, startJwksServer, type JwksServer } from '../support/jwks-server.js'
import { startRedisServer } from './redis-server.js'

/** Compressed time: seconds of the soak at which each step happens. */
const SCHEDULE = {
  rotate: [4, 10, 18, 23],
  /** Each removal drops the key that was current before the previous rotation. */
  remove: [7, 15, 21, 26],
  fault500: [9, 12],
  faultHang: [17, 20],
  end: 29,
  flood: { from: 29, to: 39, ratePerSecond: 1000, rotateAt: 31 },
} as const
const WORKERS = 32
const PACE_MS = 80 // each worker: one request per 80 ms at most, about 400 a second in all
const TOKENS_PER_KEY = 48 // distinct users per key

type Kind = 'valid' | 'removed' | 'madeUp' | 'garbage' | 'flood'

interface KeyFacts {
  readonly kid: string
  readonly publishedAt: number
  removedAt?: number
  readonly tokens: string[]
  firstSentAt?: number
  firstAcceptedAt?: number
}

interface Tally {
  sent: Record<Kind, number>
  /** Tokens whose key was published when they were sent, refused with a 401. */
  falseRefusals: Array<{ kid: string; code: string; at: number }>
  fiveXx: number
  fiveXxWithoutRetryAfter: number
  validAccepted: number
  valid503: number
  /** Tokens of a published key answered 503 outside a JWKS fault (and its recovery) or the flood. */
  valid503Unexplained: Array<{ kid: string; at: number }>
  /** The slowest answer to a token of a key already accepted, in quiet times and during the flood. */
  worstKnownKeyMs: { quiet: number; flood: number }
}

interface Server {
  readonly url: string
  stop(): Promise<void>
}

async function startServer(config: Record<string, unknown>): Promise<Server> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./rotation-server.ts', import.meta.url)), JSON.stringify(config)],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  )
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the soak server did not start in time')), 60_000)
    child.once('exit', (code) => reject(new Error(`the soak server exited (${code})`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^READY (\d+)$/.exec(line)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
  })
  return {
    url: `http://127.0.0.1:${port}/me`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/**
 * Tokens that name kids nobody published, with fresh claims (the worst case: nothing but a fetch
 * can tell them from a new key's). Their signature is never checked, so one will do for all.
 */
function madeUpTokens(issuer: TestIssuer): (kid: string) => string {
  const [, payload, signature] = issuer.mint({ sub: randomUUID() }).split('.')
  return (kid) =>
    `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url')}.${payload}.${signature}`
}

/**
 * When a token of a published key may be answered 503: during a JWKS fault and the backoff that
 * follows it (a hung fetch ends only at the JWKS timeout, 5 s, then the first retry 1 s later),
 * and from the flood on (its made-up kids spend the budget a new key needs).
 */
function explained503(second: number): boolean {
  const afterFault = 6
  return (
    (second >= SCHEDULE.fault500[0] && second < SCHEDULE.fault500[1] + afterFault) ||
    (second >= SCHEDULE.faultHang[0] && second < SCHEDULE.faultHang[1] + afterFault) ||
    second >= SCHEDULE.flood.from
  )
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function soak(
  t: TestContext,
  label: string,
  servers: readonly Server[],
  issuer: TestIssuer,
  jwks: JwksServer,
): Promise<void> {
  const start = Date.now()
  const at = () => (Date.now() - start) / 1000
  const mintBatch = (): string[] => Array.from({ length: TOKENS_PER_KEY }, () => issuer.mint({ sub: randomUUID() }))
  const keys: KeyFacts[] = [{ kid: issuer.kid, publishedAt: 0, tokens: mintBatch() }]
  const current = () => keys[keys.length - 1]!
  const repeatedMadeUpKids = Array.from({ length: 3 }, () => randomUUID())
  const madeUp = madeUpTokens(issuer)
  const repeatedMadeUp = repeatedMadeUpKids.map(madeUp)
  const tally: Tally = {
    sent: { valid: 0, removed: 0, madeUp: 0, garbage: 0, flood: 0 },
    falseRefusals: [],
    fiveXx: 0,
    fiveXxWithoutRetryAfter: 0,
    validAccepted: 0,
    valid503: 0,
    valid503Unexplained: [],
    worstKnownKeyMs: { quiet: 0, flood: 0 },
  }
  const requestsBefore = jwks.requests
  let fetchesAtFloodStart = 0
  let stop = false
  let flooding = false
  let next = 0

  const rotate = (): void => {
    issuer.rotateKey({ keepPrevious: true })
    keys.push({ kid: issuer.kid, publishedAt: at(), tokens: mintBatch() })
  }
  const removePrevious = (): void => {
    const live = keys.filter((key) => key.removedAt === undefined)
    const victim = live[live.length - 2]
    if (!victim) return
    issuer.removeKey(victim.kid)
    victim.removedAt = at()
  }

  async function send(kind: Kind, token: string, key?: KeyFacts): Promise<void> {
    tally.sent[kind]++
    const server = servers[next++ % servers.length]!
    const published = key !== undefined && key.removedAt === undefined
    const sentAt = at()
    if (published && key!.firstSentAt === undefined) key!.firstSentAt = sentAt
    const began = performance.now()
    let response: Response
    try {
      response = await fetch(server.url, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(20_000),
      })
    } catch (error) {
      assert.fail(`${label}: a request failed without an answer: ${String(error)}`)
    }
    const body = (await response.json()) as { code?: string }
    const elapsed = performance.now() - began
    if (response.status >= 500) {
      tally.fiveXx++
      if (!response.headers.get('retry-after')) tally.fiveXxWithoutRetryAfter++
    }
    if (!published) return
    if (key!.firstAcceptedAt !== undefined && key!.firstAcceptedAt < sentAt) {
      const when = flooding ? 'flood' : 'quiet'
      tally.worstKnownKeyMs[when] = Math.max(tally.worstKnownKeyMs[when], elapsed)
    }
    if (response.status === 200) {
      tally.validAccepted++
      key!.firstAcceptedAt ??= at()
    } else if (response.status === 503) {
      tally.valid503++
      if (!explained503(sentAt)) tally.valid503Unexplained.push({ kid: key!.kid, at: sentAt })
    } else {
      tally.falseRefusals.push({ kid: key!.kid, code: body.code ?? String(response.status), at: sentAt })
    }
  }

  /** One request of the mixed traffic: mostly current tokens, some stray, a little garbage. */
  function pick(): Promise<void> {
    const roll = Math.random()
    if (roll < 0.8) {
      const key = current()
      return send('valid', key.tokens[Math.floor(Math.random() * key.tokens.length)]!, key)
    }
    const removed = keys.filter((key) => key.removedAt !== undefined)
    if (roll < 0.9 && removed.length > 0) {
      const key = removed[Math.floor(Math.random() * removed.length)]!
      return send('removed', key.tokens[Math.floor(Math.random() * key.tokens.length)]!, key)
    }
    if (roll < 0.95) {
      // A token of a key still published but no longer signing (clients keep tokens for days).
      const live = keys.filter((key) => key.removedAt === undefined)
      const key = live[Math.floor(Math.random() * live.length)]!
      return send('valid', key.tokens[Math.floor(Math.random() * key.tokens.length)]!, key)
    }
    if (roll < 0.98) return send('madeUp', repeatedMadeUp[Math.floor(Math.random() * repeatedMadeUp.length)]!)
    return send('garbage', Math.random() < 0.5 ? 'not-a-jwt' : `${current().tokens[0]!.slice(0, -8)}AAAAAAAA`)
  }

  async function worker(): Promise<void> {
    while (!stop) {
      const began = Date.now()
      await pick()
      const rest = PACE_MS - (Date.now() - began)
      if (rest > 0) await sleep(rest)
    }
  }

  async function flood(): Promise<void> {
    const { from, to, ratePerSecond } = SCHEDULE.flood
    await sleep(Math.max(0, from * 1000 - (Date.now() - start)))
    flooding = true
    fetchesAtFloodStart = jwks.requests
    const pending: Array<Promise<void>> = []
    // Bursts every 50 ms: 1,000 made-up kids a second, each one never seen before.
    while (at() < to) {
      for (let i = 0; i < ratePerSecond / 20; i++) pending.push(send('flood', madeUp(randomUUID())))
      await sleep(50)
      if (pending.length > 2000) await Promise.all(pending.splice(0))
    }
    await Promise.all(pending)
    flooding = false
  }

  async function timeline(): Promise<void> {
    const steps: Array<[number, () => void]> = [
      ...SCHEDULE.rotate.map((s): [number, () => void] => [s, rotate]),
      ...SCHEDULE.remove.map((s): [number, () => void] => [s, removePrevious]),
      [SCHEDULE.fault500[0], () => jwks.behave(failWith(500))],
      [SCHEDULE.fault500[1], () => jwks.serve()],
      [SCHEDULE.faultHang[0], () => jwks.behave(hang)],
      [SCHEDULE.faultHang[1], () => jwks.serve()],
      [SCHEDULE.flood.rotateAt, rotate],
    ]
    steps.sort((a, b) => a[0] - b[0])
    for (const [second, step] of steps) {
      await sleep(Math.max(0, second * 1000 - (Date.now() - start)))
      step()
    }
  }

  const workers = Array.from({ length: WORKERS }, () => worker())
  const floodDone = flood()
  await timeline()
  await floodDone
  // Traffic goes on until the last key has been accepted (or a bound of 30 s more).
  const deadline = Date.now() + 30_000
  while (current().firstAcceptedAt === undefined && Date.now() < deadline) await sleep(100)
  stop = true
  await Promise.all(workers)
  assert.equal(flooding, false)

  const fetches = jwks.requests - requestsBefore
  const floodFetches = jwks.requests - fetchesAtFloodStart
  const lines = keys.map((key) => {
    const wait =
      key.firstAcceptedAt === undefined || key.firstSentAt === undefined
        ? 'never accepted'
        : `${((key.firstAcceptedAt - key.firstSentAt) * 1000).toFixed(0)} ms`
    return `key published at ${key.publishedAt.toFixed(1)} s: first sent at ${key.firstSentAt?.toFixed(2) ?? '-'} s, first acceptance after ${wait}`
  })
  t.diagnostic(`${label}: sent ${JSON.stringify(tally.sent)}`)
  t.diagnostic(
    `${label}: valid accepted ${tally.validAccepted}, valid answered 503 ${tally.valid503}, valid refused 401 ${tally.falseRefusals.length}`,
  )
  t.diagnostic(
    `${label}: 5xx ${tally.fiveXx} (without Retry-After: ${tally.fiveXxWithoutRetryAfter}); JWKS fetches ${fetches} (during the flood of ${tally.sent.flood} made-up kids: ${floodFetches})`,
  )
  t.diagnostic(
    `${label}: slowest answer for an accepted key: ${tally.worstKnownKeyMs.quiet.toFixed(0)} ms (during the flood: ${tally.worstKnownKeyMs.flood.toFixed(0)} ms), as the load generator saw it`,
  )
  for (const line of lines) t.diagnostic(`${label}: ${line}`)

  assert.deepEqual(
    tally.falseRefusals.slice(0, 5),
    [],
    `${label}: ${tally.falseRefusals.length} tokens of published keys refused with a 401`,
  )
  assert.equal(tally.fiveXxWithoutRetryAfter, 0, `${label}: every 5xx says when to retry`)
  for (const key of keys)
    assert.ok(
      key.firstAcceptedAt !== undefined,
      `${label}: the key published at ${key.publishedAt} s was never accepted`,
    )
  assert.deepEqual(
    tally.valid503Unexplained.slice(0, 5),
    [],
    `${label}: ${tally.valid503Unexplained.length} tokens of published keys answered 503 outside a fault or the flood`,
  )
  // The flood's fetches are bounded by the documented budget: 4 at once, then one per 15 s for an
  // instance; the fleet's budget (6 a minute) besides. The flood lasts 10 s and spans at most two
  // minutes of the fleet's budget, and a rotation happens in it.
  const floodBound = servers.length === 1 ? 4 + 1 + 1 : 12 + 1
  assert.ok(floodFetches <= floodBound, `${label}: ${floodFetches} JWKS fetches during the flood (bound ${floodBound})`)
}

test('key rotation soak: one server', async (t) => {
  const issuer = createTestIssuer({ modulusLength: 2048 })
  const jwks = await startJwksServer(issuer)
  const server = await startServer({ environmentId: issuer.environmentId, jwksUrl: jwks.url })
  try {
    await soak(t, 'one server', [server], issuer, jwks)
  } finally {
    await server.stop()
    await jwks.close()
  }
})

test('key rotation soak: a fleet of two processes sharing the Redis key store', async (t) => {
  const redis = await startRedisServer()
  const issuer = createTestIssuer({ modulusLength: 2048 })
  const jwks = await startJwksServer(issuer)
  const keyPrefix = `soak-${randomUUID()}:`
  const servers = await Promise.all(
    [0, 1].map(() =>
      startServer({ environmentId: issuer.environmentId, jwksUrl: jwks.url, redisUrl: redis.url, keyPrefix }),
    ),
  )
  try {
    await soak(t, 'fleet of two', servers, issuer, jwks)
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
    await jwks.close()
    await redis.stop()
  }
})
