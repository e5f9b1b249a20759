/**
 * Revocations shared by a fleet through Redis. Redis holds the live entries in one sorted set
 * (score: when the entry expires) and announces each new one on a pub/sub channel; every instance
 * applies the announcements to its local {@link RevocationSet}, so the per-request check is an
 * in-process lookup, never a Redis round trip.
 *
 * On every (re)connect of its subscriber, and every `resyncInterval`, an instance loads the whole
 * set (pub/sub is at-most-once: a message sent while it was away is not replayed) and writes back
 * the entries it knows that Redis lacks (a Redis restarted without persistence comes back empty;
 * a revocation made during an outage was only local). Loading only adds: an entry leaves a local
 * set only when it expires.
 *
 * Contact with Redis is lost when the subscriber's socket closes, and also when Redis stops
 * answering with the socket open (frozen, partitioned): a heartbeat PING, or any command, left
 * unanswered past `commandTimeout` counts as a disconnection (see liveness.ts). While out of
 * contact the instance keeps its set and reports it (`onEvent`, `status()`). After `staleAfter` it
 * either keeps serving from that set or refuses every token with `revocation_unavailable` (503),
 * as `whenStale` says: the choice between availability and the promise that a revoked session is
 * refused everywhere within a second. An instance that has never loaded the set is out of
 * contact from the start: with `refuse` it refuses until its first load.
 */
import {
  RevocationSet,
  isRevocationEntry,
  type RevocationEntry,
  type RevocationSubject,
} from '../revocation/revocation-set.js'
import type { RevocationStatus, RevocationStore, RevocationVerdict } from '../revocation/store.js'
import {
  checkClient,
  closeConnection,
  describeError,
  keyPrefix,
  positive,
  type RedisClientLike,
  type RedisSubscriberLike,
} from './client.js'
import { Liveness } from './liveness.js'

/** What the store reports, for logs, metrics and health checks. Never contains a token. */
export type RedisRevocationEvent =
  | {
      /** The set was loaded in full from Redis. */
      type: 'revocation_synced'
      /** How many revocations the set holds now. */
      entries: number
      /** How many revocations this instance held that Redis lacked, written back to it. */
      writtenBack: number
    }
  | {
      /** A revocation made by another instance arrived. */
      type: 'revocation_received'
      /** The revocation. */
      entry: RevocationEntry
    }
  | {
      /** The connection to Redis was lost: the set is served as it was. */
      type: 'revocation_disconnected'
      /** Why, in one sentence. */
      message: string
    }
  | {
      /** Disconnected past `staleAfter`: the set may miss revocations made elsewhere. */
      type: 'revocation_stale'
      /** How long Redis has been out of reach, in ms. */
      disconnectedForMs: number
      /** What the store does now: serve from its set, or refuse every token (the `whenStale` option). */
      whenStale: 'serve' | 'refuse'
    }
  | {
      /** An operation on Redis failed. */
      type: 'revocation_error'
      /** Which: sharing a revocation (`add`), loading the set (`sync`), or reading a message (`message`). */
      operation: 'add' | 'sync' | 'message'
      /** Why, in one sentence. */
      message: string
    }

/** Options of {@link createRedisRevocationStore}. Durations in milliseconds. */
export interface RedisRevocationStoreOptions {
  /** A node-redis client, connected or still connecting. The store duplicates it once for its subscription and closes only that copy. */
  client: RedisClientLike
  /**
   * Required, because neither answer is right for everyone: what to do once Redis has been
   * unreachable for longer than `staleAfter`. `serve`: keep answering from the set this instance
   * has (available, but a session revoked meanwhile on another instance is not refused here; and
   * before the first load, that set is empty). `refuse`: refuse every token with
   * `revocation_unavailable` (503) until Redis is back, and from the start until the set has been
   * loaded once.
   */
  whenStale: 'serve' | 'refuse'
  /** How long a disconnected instance trusts its set before `whenStale` applies. Default 30000. */
  staleAfter?: number
  /**
   * How often Redis is PINGed on the subscription's connection, to notice a Redis that stops
   * answering without closing its socket. Such a Redis is seen as disconnected at most
   * `heartbeatInterval + commandTimeout` after it went silent. Default 5000.
   */
  heartbeatInterval?: number
  /** How often the whole set is reloaded, to repair missed messages. Default 60000. */
  resyncInterval?: number
  /** Timeout of one Redis command (and of a heartbeat PING); past it, Redis counts as unreachable. Default 2000. */
  commandTimeout?: number
  /** Prefix of the Redis keys and channel. Default `dynamic-guard:`. */
  keyPrefix?: string
  /**
   * Called when the set is synced, a revocation arrives from the fleet, Redis is lost, the set
   * turns stale, or an operation fails: for logs and metrics.
   */
  onEvent?: (event: RedisRevocationEvent) => void
  /** The current time in ms. Default `Date.now`. */
  clock?: () => number
}

/** A revocation store over Redis; `ready` settles after the first full load. */
export interface RedisRevocationStore extends RevocationStore {
  /** Resolves once the set has been loaded from Redis for the first time; rejects after `timeoutMs` (default 10000). */
  ready(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** ZADD GT keeps the later expiry; old entries are pruned on every write; then the announcement. */
const ADD_SCRIPT = `
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`

const MAX_MESSAGE_LENGTH = 2048
const SYNC_RETRY_MS = 500
/** After a reconnection, one more load this much later catches the fleet's write-backs. */
const RECONNECT_SETTLE_MS = 1000

/** The sorted-set member of an entry: one per session, one per (user, before). */
function memberOf(entry: RevocationEntry): string {
  return entry.type === 'session' ? JSON.stringify(['s', entry.sid]) : JSON.stringify(['u', entry.sub, entry.before])
}

function entryOf(member: string, expiresAt: number): RevocationEntry | undefined {
  if (member.length > MAX_MESSAGE_LENGTH) return undefined
  let parts: unknown
  try {
    parts = JSON.parse(member)
  } catch {
    return undefined
  }
  if (!Array.isArray(parts)) return undefined
  const entry =
    parts[0] === 's'
      ? { type: 'session', sid: parts[1], expiresAt }
      : parts[0] === 'u'
        ? { type: 'user', sub: parts[1], before: parts[2], expiresAt }
        : undefined
  return isRevocationEntry(entry) ? entry : undefined
}

/** A WITHSCORES reply: flat `[member, score, ...]` (RESP2) or pairs `[[member, score], ...]` (RESP3). */
function scoredMembers(reply: unknown): Array<[string, number]> {
  if (!Array.isArray(reply)) return []
  const out: Array<[string, number]> = []
  if (reply.every((item) => Array.isArray(item))) {
    for (const [member, score] of reply as unknown[][]) out.push([String(member), Number(score)])
  } else {
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), Number(reply[i + 1])])
  }
  return out
}

class RedisStore implements RedisRevocationStore {
  private readonly set: RevocationSet
  private readonly subscriber: RedisSubscriberLike
  private readonly key: string
  private readonly channel: string
  private readonly staleAfter: number
  private readonly refuseWhenStale: boolean
  private readonly commandTimeout: number
  private readonly clock: () => number
  private readonly onEvent: ((event: RedisRevocationEvent) => void) | undefined
  /** Set while not known to be in sync with Redis (before the first load too). */
  private downSince: number | undefined
  private changedAt: number
  private lastSyncAt: number | undefined
  /** Revocations learnt from the fleet (messages and reloads), for `status().received`. */
  private receivedCount = 0
  private lastError: string | undefined
  private staleTimer: ReturnType<typeof setTimeout> | undefined
  private readonly resyncTimer: ReturnType<typeof setInterval>
  private syncing: Promise<boolean> | undefined
  private syncAgain = false
  /** True once a load has completed with the subscription live. */
  private synced = false
  private closed = false
  /** Bumped on every change that can turn a "not revoked" answer into a refusal. */
  version = 0
  private subscribed = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private readonly firstSync: Promise<void>
  private resolveFirstSync!: () => void
  private readonly liveness: Liveness

  constructor(
    private readonly client: RedisClientLike,
    options: RedisRevocationStoreOptions,
  ) {
    const prefix = keyPrefix(options.keyPrefix)
    this.key = `${prefix}revocations`
    this.channel = `${prefix}revocations:channel`
    this.staleAfter = positive('staleAfter', options.staleAfter, 30_000, 0)
    this.commandTimeout = positive('commandTimeout', options.commandTimeout, 2000)
    const resyncInterval = positive('resyncInterval', options.resyncInterval, 60_000, 100)
    const heartbeatInterval = positive('heartbeatInterval', options.heartbeatInterval, 5000, 50)
    this.refuseWhenStale = options.whenStale === 'refuse'
    this.clock = options.clock ?? Date.now
    this.onEvent = options.onEvent
    this.set = new RevocationSet(this.clock)
    this.changedAt = this.clock()
    this.downSince = this.changedAt
    this.armStaleTimer()
    this.firstSync = new Promise((resolve) => {
      this.resolveFirstSync = resolve
    })

    this.subscriber = client.duplicate()
    this.subscriber.on('error', (error: unknown) => this.disconnected(describeError(error)))
    this.subscriber.on('end', () => this.disconnected('connection closed'))
    this.subscriber.on('reconnecting', () => this.disconnected('reconnecting'))
    this.subscriber.on('ready', () => {
      if (!this.subscribed) return
      this.liveness.probe()
      void this.sync()
    })
    this.liveness = new Liveness({
      ping: () => this.ping(),
      interval: heartbeatInterval,
      timeout: this.commandTimeout,
      clock: this.clock,
      onSilent: (since, message) => this.disconnected(message, since),
      // A frozen Redis resumed (or a slow one caught up): reload and write back, as after a reconnect.
      onAnswer: () => void this.sync(),
    })
    this.resyncTimer = setInterval(() => {
      if (this.subscriber.isReady && this.subscribed) void this.sync()
    }, resyncInterval)
    this.resyncTimer.unref?.()
    void this.start()
  }

  private async start(): Promise<void> {
    try {
      await this.subscriber.connect()
      // Closed while connecting (Redis was absent): the connection just made must not stay open.
      if (this.closed) return void (await closeConnection(this.subscriber))
      await this.subscriber.subscribe(this.channel, (message) => this.received(message))
      if (this.closed) return void (await closeConnection(this.subscriber))
      this.subscribed = true
      await this.sync()
    } catch (error) {
      this.disconnected(describeError(error))
    }
  }

  check(subject: RevocationSubject): RevocationVerdict | undefined {
    if (
      this.downSince !== undefined &&
      this.refuseWhenStale &&
      (!this.synced || this.clock() - this.downSince > this.staleAfter)
    )
      return 'unavailable'
    return this.set.has(subject) ? 'revoked' : undefined
  }

  async add(entry: RevocationEntry): Promise<void> {
    if (!isRevocationEntry(entry)) throw new TypeError('dynamic-guard/redis: not a revocation entry.')
    if (this.set.add(entry)) this.version++
    try {
      await this.write(entry)
    } catch (error) {
      const message = `The revocation is in force on this instance but could not be shared through Redis (${describeError(error)}); it is written back when Redis is reachable again.`
      this.report({ type: 'revocation_error', operation: 'add', message })
      throw new Error(`dynamic-guard/redis: ${message}`, { cause: error })
    }
  }

  status(): RevocationStatus {
    const now = this.clock()
    return {
      kind: 'redis',
      entries: this.set.size,
      connected: this.downSince === undefined,
      // Never loaded: nothing to trust yet, whatever the time since the start.
      stale: this.downSince !== undefined && (!this.synced || now - this.downSince > this.staleAfter),
      since: this.changedAt,
      ...(this.lastSyncAt === undefined ? {} : { lastSyncAt: this.lastSyncAt }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      received: this.receivedCount,
    }
  }

  ready(timeoutMs = 10_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `dynamic-guard/redis: the revocation set could not be loaded from Redis within ${timeoutMs} ms${this.lastError ? ` (${this.lastError})` : ''}.`,
            ),
          ),
        timeoutMs,
      )
    })
    return Promise.race([this.firstSync, timeout]).finally(() => clearTimeout(timer))
  }

  async close(): Promise<void> {
    this.closed = true
    this.liveness.close()
    clearInterval(this.resyncTimer)
    if (this.staleTimer) clearTimeout(this.staleTimer)
    if (this.retryTimer) clearTimeout(this.retryTimer)
    await closeConnection(this.subscriber)
  }

  private write(entry: RevocationEntry): Promise<unknown> {
    const member = memberOf(entry)
    const message = JSON.stringify({ m: member, x: entry.expiresAt })
    return this.run([
      'EVAL',
      ADD_SCRIPT,
      '1',
      this.key,
      member,
      String(entry.expiresAt),
      String(this.clock()),
      this.channel,
      message,
    ])
  }

  /**
   * One command. Refused at once while Redis is silent (nothing waits on a frozen Redis); a
   * command left unanswered makes it silent. A timed-out write may still run later: harmless,
   * since every write is idempotent.
   */
  private run(args: string[]): Promise<unknown> {
    return this.liveness.run(
      this.client,
      args,
      this.commandTimeout,
      () => new Error(`Redis is not answering (${this.lastError ?? 'no answer'})`),
    )
  }

  /** The heartbeat: a PING on the subscription's own connection (node-redis answers it while subscribed). */
  private ping(): Promise<unknown> {
    if (!this.subscribed || !this.subscriber.isReady) return Promise.reject(new Error('not subscribed'))
    if (this.subscriber.sendCommand) return this.subscriber.sendCommand(['PING'])
    if (!this.client.isReady) return Promise.reject(new Error('Redis is not connected'))
    return this.client.sendCommand(['PING'])
  }

  private received(message: string): void {
    let entry: RevocationEntry | undefined
    try {
      const parsed =
        message.length <= MAX_MESSAGE_LENGTH ? (JSON.parse(message) as { m?: unknown; x?: unknown }) : undefined
      if (parsed && typeof parsed.m === 'string' && typeof parsed.x === 'number') entry = entryOf(parsed.m, parsed.x)
    } catch {
      entry = undefined
    }
    if (!entry) {
      this.report({
        type: 'revocation_error',
        operation: 'message',
        message: 'ignored a malformed message on the revocation channel',
      })
      return
    }
    if (this.set.add(entry)) {
      this.version++
      this.report({ type: 'revocation_received', entry })
    }
  }

  /** Loads the whole set, then writes back what this instance knows that Redis lacks. One at a time. */
  private sync(): Promise<boolean> {
    if (this.syncing) {
      // The load under way may have read Redis before this request's reason (a subscription
      // that just came back, say): load once more after it, or an entry written in between
      // would wait for the periodic reload.
      this.syncAgain = true
      return this.syncing
    }
    this.syncing = this.load().finally(() => {
      this.syncing = undefined
      if (this.syncAgain && !this.closed) {
        this.syncAgain = false
        void this.sync()
      }
    })
    return this.syncing
  }

  private async load(): Promise<boolean> {
    try {
      const now = this.clock()
      const reply = await this.run(['ZRANGEBYSCORE', this.key, `(${now}`, '+inf', 'WITHSCORES'])
      const inRedis = new Map<string, number>()
      for (const [member, expiresAt] of scoredMembers(reply)) {
        const entry = entryOf(member, expiresAt)
        if (!entry) continue
        inRedis.set(member, expiresAt)
        if (this.set.add(entry)) {
          this.version++
          // Learned from the fleet by a reload rather than by a message (one missed while
          // reconnecting): report it like one. The first load is the set itself, not news.
          if (this.synced) this.report({ type: 'revocation_received', entry })
        }
      }
      let writtenBack = 0
      for (const entry of this.set.entries()) {
        const known = inRedis.get(memberOf(entry))
        if (known !== undefined && known >= entry.expiresAt) continue
        await this.write(entry)
        writtenBack++
      }
      if (this.closed) return false
      // In sync only if the subscription is live now and Redis answering; else the next 'ready'
      // (or answered PING) loads again.
      if (this.subscriber.isReady && !this.liveness.silent) {
        this.lastSyncAt = this.clock()
        if (this.downSince !== undefined) {
          this.downSince = undefined
          this.changedAt = this.lastSyncAt
          // A refusing store that was cut off (or never loaded) answers again.
          this.version++
          if (this.staleTimer) clearTimeout(this.staleTimer)
          this.staleTimer = undefined
          // After an outage the whole fleet reconnects and writes back at once: an entry another
          // instance writes back while this one was resubscribing is neither in this load nor
          // received. One more load, once the fleet has settled, picks it up.
          const settle = setTimeout(() => {
            if (!this.closed) void this.sync()
          }, RECONNECT_SETTLE_MS)
          settle.unref?.()
        }
        this.lastError = undefined
        this.report({ type: 'revocation_synced', entries: this.set.size, writtenBack })
        this.synced = true
        this.resolveFirstSync()
      }
      return true
    } catch (error) {
      this.lastError = describeError(error)
      this.report({ type: 'revocation_error', operation: 'sync', message: this.lastError })
      // The subscription may be back before the command connection: try again shortly. A silent
      // Redis is retried when it answers a PING instead.
      if (!this.closed && this.subscriber.isReady && !this.liveness.silent && !this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined
          if (!this.closed) void this.sync()
        }, SYNC_RETRY_MS)
        this.retryTimer.unref?.()
      }
      return false
    }
  }

  /** Out of contact since `since` (a closed socket: now; a silent Redis: when the unanswered command was sent). */
  private disconnected(message: string, since = this.clock()): void {
    if (this.closed) return
    this.lastError = message
    if (this.downSince !== undefined) return
    this.downSince = since
    this.changedAt = this.downSince
    this.version++
    this.report({ type: 'revocation_disconnected', message })
    this.armStaleTimer()
  }

  private armStaleTimer(): void {
    if (this.staleTimer) clearTimeout(this.staleTimer)
    const since = this.downSince
    const delay = since === undefined ? this.staleAfter : Math.max(0, since + this.staleAfter - this.clock())
    this.staleTimer = setTimeout(() => {
      this.staleTimer = undefined
      if (this.downSince === since && since !== undefined && !this.closed) {
        this.version++
        this.report({
          type: 'revocation_stale',
          disconnectedForMs: this.clock() - since,
          whenStale: this.refuseWhenStale ? 'refuse' : 'serve',
        })
      }
    }, delay + 1)
    this.staleTimer.unref?.()
  }

  private report(event: RedisRevocationEvent): void {
    if (event.type === 'revocation_received') this.receivedCount++
    if (!this.onEvent) return
    try {
      this.onEvent(event)
    } catch {
      // A failing listener must not break revocation.
    }
  }
}

/**
 * A revocation store shared by every instance connected to the same Redis.
 *
 * @example
 * const client = createClient({ url: process.env.REDIS_URL }).on('error', console.error)
 * await Promise.race([client.connect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000))])
 * const revocation = createRedisRevocationStore({ client, whenStale: 'refuse' })
 * const auth = createDynamicAuth({ environmentId, revocation })
 * await auth.warmUp() // keys fetched and the revocation set loaded before taking traffic
 */
export function createRedisRevocationStore(options: RedisRevocationStoreOptions): RedisRevocationStore {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('dynamic-guard/redis: createRedisRevocationStore needs an options object.')
  checkClient(options.client)
  if (options.whenStale !== 'serve' && options.whenStale !== 'refuse') {
    throw new TypeError(
      "dynamic-guard/redis: whenStale is required: 'serve' (keep answering from this instance's set while Redis is unreachable past staleAfter; available, but revocations made meanwhile elsewhere are missed) or 'refuse' (answer 503 revocation_unavailable until Redis is back).",
    )
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    throw new TypeError('dynamic-guard/redis: onEvent must be a function.')
  return new RedisStore(options.client, options)
}
