/**
 * One JWKS fetch for a whole fleet. Each instance keeps its own {@link RemoteKeyStore} (its
 * cache, refresh-ahead, unknown-kid cooldown, stale-if-error, every key validated on import), but
 * reads the JWKS through Redis:
 *
 *   1. a copy in Redis fetched less than `refreshWindow` ago is used as is. For an unknown kid, a
 *      copy that has the kid, or whose fetch began after the kid was met, answers; otherwise one
 *      instance per `jwks.cooldown` (fleet-wide) refetches, within a fleet budget per minute
 *      (`unknownKidFetchesPerMinute`), and the others wait for its copy: random kids cannot
 *      multiply the requests, and a budget that is spent is a 503, never a 401;
 *   2. else the instance that wins a short lock (`SET NX PX`) fetches from Dynamic and writes the
 *      copy; the others wait for it and read it;
 *   3. a 429 / 503 answer sets a fleet-wide hold for its `Retry-After` (1 s after other failures):
 *      while it lasts nobody fetches; instances read the last copy, or wait.
 *
 * When Redis itself is unreachable, each instance fetches on its own (its own cooldown and
 * backoff still apply): availability first. Whoever can write to Redis can plant keys: Redis is
 * then as trusted as the JWKS URL (protect it with AUTH/ACLs and TLS).
 */
import { createHash, randomUUID } from 'node:crypto'
import { fetchJwks, JwksFetchError, type FetchJwksLimits } from '../keys/fetch-jwks.js'
import {
  RemoteKeyStore,
  type JwksLoadContext,
  type JwksLoader,
  type KeyStoreFactory,
  type RemoteKeyStoreOptions,
} from '../keys/key-store.js'
import { checkClient, describeError, keyPrefix, positive, type RedisClientLike } from './client.js'
import { Liveness } from './liveness.js'

/** What the shared key store reports. */
export type RedisKeyStoreEvent =
  | {
      /** This instance fetched the JWKS and shared it in Redis. */
      type: 'jwks_fetched_for_fleet'
      /** The JWKS URL. */
      url: string
    }
  | {
      /** This instance read the JWKS another one shared. */
      type: 'jwks_read_from_redis'
      /** The JWKS URL. */
      url: string
      /** The shared copy's age, in ms. */
      ageMs: number
    }
  | {
      /** Another instance is fetching the JWKS for a kid never seen before: this one waits for its copy. */
      type: 'jwks_unknown_kid_cooldown'
      /** The JWKS URL. */
      url: string
    }
  | {
      /** A fetch for the fleet failed: every instance holds back for `retryInMs`. */
      type: 'jwks_fleet_hold'
      /** The JWKS URL. */
      url: string
      /** When the next fetch is allowed, in ms from now. */
      retryInMs: number
    }
  | {
      /** Redis did not answer: this instance goes on without it, fetching on its own. */
      type: 'jwks_redis_unavailable'
      /** The JWKS URL. */
      url: string
      /** Why, in one sentence. */
      message: string
    }

/** Options of {@link createRedisKeyStore}. Durations in milliseconds. */
export interface RedisKeyStoreOptions {
  /** A connected node-redis client. */
  client: RedisClientLike
  /** A copy in Redis younger than this is used without fetching. Default: 30000, or a quarter of `jwks.cacheMaxAge` when that is shorter. */
  refreshWindow?: number
  /** How long the fetch lock is held at most. Default: the JWKS timeout plus 2000. */
  lockTtl?: number
  /** Timeout of one Redis command. Default 2000. */
  commandTimeout?: number
  /** How often Redis is PINGed, so that one that stops answering is noticed before a load waits on it. Default 5000. */
  heartbeatInterval?: number
  /**
   * How many JWKS fetches unknown kids may cause in the whole fleet per minute. Default 6: far
   * under Dynamic's limit per IP, however many instances share one address. Each instance also
   * keeps its own budget and its minimum gap (`jwks.cooldown`), which the fleet shares too.
   */
  unknownKidFetchesPerMinute?: number
  /** Prefix of the Redis keys. Default `dynamic-guard:`. */
  keyPrefix?: string
  /**
   * Called when this instance fetches the JWKS for the fleet, reads it from Redis, holds back (a
   * cooldown, another instance fetching), or cannot reach Redis: for logs and metrics.
   */
  onEvent?: (event: RedisKeyStoreEvent) => void
}

interface SharedCopy {
  fetchedAt: number
  keys: unknown[]
}

const FAILURE_HOLD_MS = 1000
const FIRST_POLL_MS = 20
const MAX_POLL_MS = 200

function readCopy(raw: unknown, maxKeys: number): SharedCopy | undefined {
  if (typeof raw !== 'string' || raw.length > 1 << 20) return undefined
  try {
    const copy = JSON.parse(raw) as Partial<SharedCopy>
    if (typeof copy?.fetchedAt === 'number' && Array.isArray(copy.keys) && copy.keys.length <= maxKeys)
      return copy as SharedCopy
  } catch {
    // A copy we cannot read is treated as absent, and refetched.
  }
  return undefined
}

function hasKid(copy: SharedCopy, kid: string): boolean {
  return copy.keys.some((key) => typeof key === 'object' && key !== null && (key as { kid?: unknown }).kid === kid)
}

function kidsOf(copy: SharedCopy | undefined): Set<unknown> {
  return new Set(
    copy?.keys.map((key) => (typeof key === 'object' && key !== null ? (key as { kid?: unknown }).kid : undefined)),
  )
}

/** The fleet's budget for unknown kids (its Redis key), and the kids of the copy it was spent against. */
interface UnknownKidBudget {
  readonly key: string
  readonly known: Set<unknown>
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function sharedLoader(
  client: RedisClientLike,
  options: RedisKeyStoreOptions,
  remote: RemoteKeyStoreOptions,
): JwksLoader {
  const prefix = keyPrefix(options.keyPrefix)
  const timeout = positive('commandTimeout', options.commandTimeout, 2000)
  const window = positive('refreshWindow', options.refreshWindow, Math.min(30_000, remote.maxAgeMs / 4), 0)
  const lockTtl = positive('lockTtl', options.lockTtl, remote.timeoutMs + 2000, 100)
  const copyTtl = Math.ceil(remote.maxAgeMs + remote.staleIfErrorMs + window)
  const perMinute = positive('unknownKidFetchesPerMinute', options.unknownKidFetchesPerMinute, 6, 1)
  // A Redis that stops answering without closing its socket must not cost every JWKS load a
  // command timeout: an unanswered command or PING marks it silent, and the instance then
  // fetches on its own (availability first) until Redis answers a PING again.
  const liveness = new Liveness({
    ping: () => (client.isReady ? client.sendCommand(['PING']) : Promise.reject(new Error('Redis is not connected'))),
    interval: positive('heartbeatInterval', options.heartbeatInterval, 5000, 50),
    timeout,
    clock: Date.now,
    onSilent: (_since, message) => report({ type: 'jwks_redis_unavailable', url: remote.url, message }),
    onAnswer: () => undefined,
  })
  const run = (args: string[]): Promise<unknown> =>
    liveness.run(
      client,
      args,
      timeout,
      () =>
        new Error(
          'Redis is not answering (a command or PING went unanswered); fetching without it until it answers again',
        ),
    )
  const report = (event: RedisKeyStoreEvent) => {
    try {
      options.onEvent?.(event)
    } catch {
      // ignored: reporting must not break key loading
    }
  }

  return async (url: string, limits: FetchJwksLimits, context: JwksLoadContext): Promise<unknown[]> => {
    const base = `${prefix}jwks:${createHash('sha256').update(url).digest('hex').slice(0, 32)}`
    const copyKey = base
    const lockKey = `${base}:lock`
    const holdKey = `${base}:hold`
    const unknownKidKey = `${base}:unknown-kid`
    const budgetKey = `${base}:unknown-kid-budget`
    let unknownKid = context?.unknownKid
    const deadline = Date.now() + lockTtl + remote.timeoutMs
    let poll = FIRST_POLL_MS
    for (;;) {
      let copy: SharedCopy | undefined
      let holdUntil = 0
      try {
        const reply = await run(['MGET', copyKey, holdKey])
        const [rawCopy, rawHold] = Array.isArray(reply) ? reply : []
        copy = readCopy(rawCopy, limits.maxKeys)
        holdUntil = Number(rawHold ?? 0) || 0
      } catch (error) {
        report({ type: 'jwks_redis_unavailable', url, message: describeError(error) })
        return fetchJwks(url, limits)
      }
      const now = Date.now()
      if (unknownKid !== undefined) {
        if (copy && hasKid(copy, unknownKid)) return copy.keys
        // A copy whose fetch began after the kid was met answers for it (the kid is not published).
        const since = context.since ?? now
        if (copy && copy.fetchedAt >= since) return copy.keys
        if (holdUntil > now) {
          throw new JwksFetchError(
            `is on hold for the whole fleet (Dynamic asked to wait ${Math.ceil((holdUntil - now) / 1000)} s)`,
            holdUntil - now,
          )
        }
        let turn: 'fetch' | 'wait'
        try {
          turn = await takeUnknownKidTurn(unknownKidKey)
        } catch (error) {
          if (error instanceof JwksFetchError) throw error
          report({ type: 'jwks_redis_unavailable', url, message: describeError(error) })
          return fetchJwks(url, limits)
        }
        if (turn === 'wait') {
          // Another instance fetches for unknown kids now: its copy answers, if it began after `since`.
          report({ type: 'jwks_unknown_kid_cooldown', url })
          if (Date.now() > deadline)
            throw new JwksFetchError(
              'was being fetched for unknown kids by another instance, which did not finish in time',
              1000,
              { rateLimited: true },
            )
          await sleep(poll)
          poll = Math.min(poll * 2, MAX_POLL_MS)
          continue
        }
        // This instance fetches for the fleet; from here on it behaves as a plain refresh.
        unknownKid = undefined
        return lockAndFetch(url, limits, copyKey, holdKey, lockKey, deadline, { key: budgetKey, known: kidsOf(copy) })
      }
      if (copy && now - copy.fetchedAt < window) {
        report({ type: 'jwks_read_from_redis', url, ageMs: now - copy.fetchedAt })
        return copy.keys
      }
      if (holdUntil > now) {
        // Dynamic asked the fleet to wait: the last copy is the best there is.
        if (copy) return copy.keys
        throw new JwksFetchError(
          `is on hold for the whole fleet (Dynamic asked to wait ${Math.ceil((holdUntil - now) / 1000)} s)`,
          holdUntil - now,
        )
      }
      const fetched = await fetchIfLocked(url, limits, copyKey, holdKey, lockKey, deadline)
      if (fetched !== undefined) return fetched
      await sleep(poll)
      poll = Math.min(poll * 2, MAX_POLL_MS)
    }
  }

  /** Whether this instance may fetch for an unknown kid now: `wait` while another holds the fleet's gap (`jwks.cooldown`). */
  async function takeUnknownKidTurn(gapKey: string): Promise<'fetch' | 'wait'> {
    if (remote.cooldownMs <= 0) return 'fetch'
    const gap = await run(['SET', gapKey, '1', 'NX', 'PX', String(Math.ceil(remote.cooldownMs))])
    return gap === 'OK' ? 'fetch' : 'wait'
  }

  /**
   * Spends one of the fleet's fetches for unknown kids in this minute, or throws a rate-limited
   * JwksFetchError when they are spent. Returns how to give it back (a fetch that failed).
   */
  async function spendFleetBudget(budgetKey: string): Promise<() => Promise<unknown>> {
    const now = Date.now()
    const minute = Math.floor(now / 60_000)
    const key = `${budgetKey}:${minute}`
    const spent = Number(await run(['INCR', key]))
    if (spent === 1) await run(['PEXPIRE', key, '120000'])
    if (spent > perMinute) {
      throw new JwksFetchError(
        `may not be fetched again for unknown kids this minute: the fleet's budget (${perMinute} a minute) is spent`,
        (minute + 1) * 60_000 - now,
        { rateLimited: true },
      )
    }
    return () => run(['DECR', key]).catch(() => undefined)
  }

  /**
   * One turn at the fleet lock: this instance takes it and fetches for the fleet; or Redis fails
   * and it fetches alone; or another instance holds it, and `undefined` tells the caller to wait
   * and look again (until `deadline`).
   */
  async function fetchIfLocked(
    url: string,
    limits: FetchJwksLimits,
    copyKey: string,
    holdKey: string,
    lockKey: string,
    deadline: number,
    budget?: UnknownKidBudget,
  ): Promise<unknown[] | undefined> {
    const token = randomUUID()
    let locked: boolean
    try {
      locked = (await run(['SET', lockKey, token, 'NX', 'PX', String(lockTtl)])) === 'OK'
    } catch (error) {
      report({ type: 'jwks_redis_unavailable', url, message: describeError(error) })
      return fetchJwks(url, limits)
    }
    if (locked) return fetchForFleet(url, limits, copyKey, holdKey, lockKey, token, budget)
    if (Date.now() > deadline)
      throw new JwksFetchError('was being fetched by another instance, which did not finish in time')
    return undefined
  }

  /** The unknown-kid refetch: take the lock, or wait for the holder's copy. */
  async function lockAndFetch(
    url: string,
    limits: FetchJwksLimits,
    copyKey: string,
    holdKey: string,
    lockKey: string,
    deadline: number,
    budget: UnknownKidBudget,
  ): Promise<unknown[]> {
    let poll = FIRST_POLL_MS
    const since = Date.now()
    for (;;) {
      const fetched = await fetchIfLocked(url, limits, copyKey, holdKey, lockKey, deadline, budget)
      if (fetched !== undefined) return fetched
      await sleep(poll)
      poll = Math.min(poll * 2, MAX_POLL_MS)
      try {
        const copy = readCopy(await run(['GET', copyKey]), limits.maxKeys)
        if (copy && copy.fetchedAt >= since) return copy.keys
      } catch {
        // The lock loop above falls back on the next turn.
      }
    }
  }

  async function fetchForFleet(
    url: string,
    limits: FetchJwksLimits,
    copyKey: string,
    holdKey: string,
    lockKey: string,
    token: string,
    budget?: UnknownKidBudget,
  ): Promise<unknown[]> {
    try {
      // A fetch for an unknown kid spends the fleet's budget; a failed one gives it back.
      let refund: (() => Promise<unknown>) | undefined
      try {
        refund = budget === undefined ? undefined : await spendFleetBudget(budget.key)
      } catch (error) {
        if (error instanceof JwksFetchError) throw error
        report({ type: 'jwks_redis_unavailable', url, message: describeError(error) }) // availability first: fetch anyway
      }
      let keys: unknown[]
      // The copy is dated when the fetch began: it shows what was published from then on.
      const startedAt = Date.now()
      try {
        keys = await fetchJwks(url, limits)
      } catch (error) {
        const hold =
          error instanceof JwksFetchError && error.retryAfterMs !== undefined
            ? Math.max(error.retryAfterMs, FAILURE_HOLD_MS)
            : FAILURE_HOLD_MS
        report({ type: 'jwks_fleet_hold', url, retryInMs: hold })
        await run(['SET', holdKey, String(Date.now() + hold), 'PX', String(Math.ceil(hold))]).catch(() => undefined)
        await refund?.()
        throw error
      }
      // A key the last copy lacked: a rotation, which gives the fleet's budget back (see RemoteKeyStore).
      if (refund && budget && [...kidsOf({ fetchedAt: startedAt, keys })].some((kid) => !budget.known.has(kid)))
        await refund()
      const copy: SharedCopy = { fetchedAt: startedAt, keys }
      await run(['SET', copyKey, JSON.stringify(copy), 'PX', String(copyTtl)]).catch((error: unknown) => {
        report({ type: 'jwks_redis_unavailable', url, message: describeError(error) })
      })
      report({ type: 'jwks_fetched_for_fleet', url })
      return keys
    } finally {
      // Release only our own lock (it may have expired and been taken by another instance).
      await run([
        'EVAL',
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        '1',
        lockKey,
        token,
      ]).catch(() => undefined)
    }
  }
}

/**
 * The `jwks.keyStore` option for a fleet: one instance fetches the JWKS per refresh window, the others
 * read it from Redis, and a 429's `Retry-After` holds every instance.
 *
 * @example
 * const auth = createDynamicAuth({ environmentId, jwks: { keyStore: createRedisKeyStore({ client }) } })
 */
export function createRedisKeyStore(options: RedisKeyStoreOptions): KeyStoreFactory {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('dynamic-guard/redis: createRedisKeyStore needs an options object.')
  checkClient(options.client)
  keyPrefix(options.keyPrefix)
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    throw new TypeError('dynamic-guard/redis: onEvent must be a function.')
  const client = options.client
  return ({ remote }) => new RemoteKeyStore({ ...remote, loader: sharedLoader(client, options, remote) })
}
