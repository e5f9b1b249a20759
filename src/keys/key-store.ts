/**
 * Where verification keys come from. {@link RemoteKeyStore} is the cached JWKS of Dynamic's
 * diagram: fetched on first use (or by warmUp), refreshed in the background before it ages out,
 * kept for a bounded time when Dynamic is unreachable (stale-if-error), and retried with backoff
 * (or after the server's Retry-After) when a fetch fails. Kids it meets that it does not hold are
 * sorted three ways (see `RemoteKeyStore.unknownKid`): remembered as absent, refused from memory,
 * or fetched quickly under a budget. {@link StaticKeyStore} serves a configured JWKS or PEM key,
 * with no network.
 */
import { DynamicAuthConfigError, DynamicAuthError } from '../errors.js'
import type { PreparedKey, SignatureBackend } from '../signature/backend.js'
import { fetchJwks, JwksFetchError, type FetchJwksLimits } from './fetch-jwks.js'
import { importKeySet, type KeyEntry, type RejectedKey } from './key-set.js'
import type { AcceptedJwk } from './jwk.js'
import { FetchBudget, type FetchBudgetOptions } from './fetch-budget.js'
import { AbsentKids } from './absent-kids.js'

export type { KeyEntry } from './key-set.js'
export type { FetchBudgetOptions } from './fetch-budget.js'

/** What the key store reports, for logs and health checks. Never contains a token. */
export type KeyStoreEvent =
  | {
      /** The JWKS was fetched and its keys are in use. */
      type: 'jwks_refreshed'
      /** The JWKS URL. */
      url: string
      /** The key ids now in use. */
      kids: string[]
      /** The JWKs left out, and why. */
      rejected: RejectedKey[]
    }
  | {
      /** A fetch of the JWKS failed. */
      type: 'jwks_error'
      /** The JWKS URL. */
      url: string
      /** Why, in one sentence. */
      message: string
      /** How many fetches in a row have failed. */
      failures: number
      /** When the next fetch is allowed, in ms from now. */
      retryInMs: number
    }
  | {
      /** Keys past their max age are in use because refreshing fails (`jwksStaleIfError`). */
      type: 'jwks_stale'
      /** The JWKS URL. */
      url: string
      /** The keys' age, in ms. */
      ageMs: number
    }

/** A snapshot of the key store, for health endpoints. */
export interface KeyStoreStatus {
  /** `remote` for keys fetched from a JWKS URL, `static` for configured ones. */
  readonly source: 'remote' | 'static'
  /** The JWKS URL, for remote keys. */
  readonly url?: string
  /** The key ids in use. */
  readonly kids: string[]
  /** When the keys were last fetched successfully (ms since the epoch), if ever. */
  readonly fetchedAt?: number
  /** How many fetches in a row have failed (0 after a success). */
  readonly consecutiveFailures: number
  /** Why the last fetch failed, if it did. */
  readonly lastError?: string
}

/** What a {@link KeyStoreFactory} builds on: the validated settings of the configured remote JWKS. */
export interface KeyStoreContext {
  /** The JWKS settings, checked: URL, timeouts, limits, clock and signature backend. */
  readonly remote: RemoteKeyStoreOptions
}

/**
 * Builds the key store of a verifier whose keys come from a JWKS URL (the `jwks.keyStore` option):
 * the seam a fleet uses to share one JWKS fetch, e.g. `createRedisKeyStore` of
 * `dynamic-guard/redis`, which returns a `RemoteKeyStore` with a shared {@link JwksLoader}.
 */
export type KeyStoreFactory = (context: KeyStoreContext) => KeyStore

/** The unverified claims a key store may read to judge an unknown kid (only `iat` today). */
export interface UnverifiedClaims {
  readonly iat?: unknown
}

/** The verifier's view of a key source. */
export interface KeyStore {
  /**
   * The key for `kid`: synchronous when known, a promise when a fetch is needed. Throws (or
   * rejects with) DynamicAuthError. `claims` are the token's claims, not yet verified: a store
   * may use them only to decide whether fetching could help, never to accept a token.
   */
  getKey(kid: string | undefined, claims?: UnverifiedClaims): KeyEntry | Promise<KeyEntry>
  /**
   * False once `entry` is no longer trusted: removed from the JWKS by a refresh, or (remote keys)
   * aged past their max age, so that a cached verification goes the full way and refreshes.
   * `now` is the caller's clock reading in ms.
   */
  isCurrent(entry: KeyEntry, now: number): boolean
  /** Loads the keys now; rejects with `jwks_unavailable` when that fails. */
  warmUp(): Promise<void>
  /** What the store holds and how fetching it goes: for `auth.keyStatus()` and health. */
  status(): KeyStoreStatus
}

/**
 * Reads the keys of the JWKS at `url` (the `keys` array, unvalidated). The default is one bounded
 * HTTP request (`fetchJwks`); a fleet plugs a loader that shares one fetch between instances.
 * Throw `JwksFetchError` (with `retryAfterMs` when the source asked to wait, and `rateLimited`
 * when a fetch budget, not a failure, stopped it) on failure.
 */
export type JwksLoader = (url: string, limits: FetchJwksLimits, context: JwksLoadContext) => Promise<unknown[]>

/** Why the keys are being loaded. */
export interface JwksLoadContext {
  /** Set when a token named a kid the current keys lack (a rotation, or a forged kid). */
  readonly unknownKid?: string
  /**
   * With `unknownKid`: when that kid was first met (ms since the epoch, `Date.now()`). A copy of
   * the JWKS fetched after this moment answers for the kid; an older one may predate its key.
   */
  readonly since?: number
}

/** Tunables of `RemoteKeyStore`, all in milliseconds. */
export interface RemoteKeyStoreOptions extends FetchJwksLimits {
  /** The JWKS URL. */
  readonly url: string
  /** Where the JWKS is read from. Default: `fetchJwks`, an HTTP GET of the JWKS URL. */
  readonly loader?: JwksLoader
  /** How long fetched keys are used before they are fetched again (`jwksCacheMaxAge`). */
  readonly maxAgeMs: number
  /** The least time between two fetches for kids never seen before (`jwks.cooldown`). */
  readonly cooldownMs: number
  /** How long keys past their max age stay in use while refreshing fails (`jwksStaleIfError`). */
  readonly staleIfErrorMs: number
  /** The longest wait between two failed fetches (`jwksMaxBackoff`). */
  readonly maxBackoffMs: number
  /** How many fetches kids never seen before may cause. Default: 4 at once, then one per 15 s. */
  readonly unknownKidBudget?: FetchBudgetOptions
  /** The signature backend that prepares the keys. */
  readonly backend: SignatureBackend
  /** The clock, in ms since the epoch. */
  readonly clock: () => number
  /** Called when the JWKS is refreshed, when a fetch fails and when stale keys are served: the telemetry seam. */
  readonly onEvent?: (event: KeyStoreEvent) => void
}

const INITIAL_BACKOFF_MS = 1000
/** Share of maxAge after which a use of the keys triggers a background refresh. */
const REFRESH_AHEAD = 0.75
/**
 * A token issued this long before the last successful fetch began, by a key that fetch did not
 * list, cannot belong to a key published since: Dynamic publishes a key before it signs with it.
 * The margin covers a CDN's copy of the JWKS and clock skew between Dynamic and this server.
 */
const PUBLICATION_MARGIN_MS = 5 * 60_000
/**
 * A fetch for an unknown kid that may happen within this long is planned, and its callers wait
 * for it; one further off is answered 503 with Retry-After at once, rather than held open.
 */
const PLAN_WITHIN_MS = 2000
export const DEFAULT_UNKNOWN_KID_BUDGET: FetchBudgetOptions = { burst: 4, refillMs: 15_000 }

/** One fetch under way, and what the callers that wait on it may conclude from it. */
interface Fetch {
  /**
   * Fetches are numbered as they begin: a fetch numbered above a kid's meeting began after it.
   * A planned fetch has no number (Infinity) until it begins.
   */
  seq: number
  /** True when keys were loaded, false when the fetch failed. */
  readonly done: Promise<boolean>
  /** When the request was decided (store clock): kids first met after this may postdate its answer. */
  readonly startedAt: number
  /** Set when a fetch budget (local or the fleet's) stopped it: not a failure of the JWKS. */
  rateLimitedMs?: number
}

/** The cached remote JWKS. */
export class RemoteKeyStore implements KeyStore {
  private keys = new Map<string, KeyEntry>()
  private fetchedAt: number | undefined
  /** When the fetch behind the current keys began (store clock). */
  private fetchStartedAt = Number.NEGATIVE_INFINITY
  private readonly absent = new AbsentKids()
  private inflight: Fetch | undefined
  /** A fetch for unknown kids planned for the end of the minimum gap; callers meanwhile wait on it. */
  private planned: Fetch | undefined
  private failures = 0
  /** No fetch before this (store clock): the backoff after a failure, or a server's Retry-After. */
  private retryAt = 0
  /** No fetch for unknown kids before this: a fleet budget said to wait. */
  private rateLimitedUntil = 0
  private lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY
  /** The number of the last fetch begun (see `Fetch.seq`). */
  private seq = 0
  private readonly budget: FetchBudget
  private lastError: string | undefined

  constructor(private readonly options: RemoteKeyStoreOptions) {
    this.budget = new FetchBudget(options.unknownKidBudget ?? DEFAULT_UNKNOWN_KID_BUDGET)
  }

  getKey(kid: string | undefined, claims?: UnverifiedClaims): KeyEntry | Promise<KeyEntry> {
    const now = this.options.clock()
    if (this.fetchedAt !== undefined && now - this.fetchedAt < this.options.maxAgeMs) {
      if (now - this.fetchedAt > this.options.maxAgeMs * REFRESH_AHEAD && !this.inflight && now >= this.retryAt) {
        void this.refresh(now)
      }
      const entry = kid === undefined ? undefined : this.keys.get(kid)
      return entry ?? this.unknownKid(kid, claims, now)
    }
    return this.refreshThenLookup(kid, claims, now)
  }

  isCurrent(entry: KeyEntry, now: number): boolean {
    if (entry.kid === undefined || this.keys.get(entry.kid) !== entry || this.fetchedAt === undefined) return false
    const age = now - this.fetchedAt
    if (age >= this.options.maxAgeMs) return false
    if (age > this.options.maxAgeMs * REFRESH_AHEAD && !this.inflight && now >= this.retryAt) void this.refresh(now)
    return true
  }

  async warmUp(): Promise<void> {
    if (!(await this.refresh(this.options.clock()).done)) throw this.unavailable(this.options.clock())
  }

  status(): KeyStoreStatus {
    return {
      source: 'remote',
      url: this.options.url,
      kids: [...this.keys.keys()],
      ...(this.fetchedAt === undefined ? {} : { fetchedAt: this.fetchedAt }),
      consecutiveFailures: this.failures,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    }
  }

  /**
   * A kid the current keys lack, sorted without a request where memory settles it:
   *  - absent from a successful fetch (a removed key, a kid already found made up): 401 at once;
   *  - a token issued well before the last fetch, by a key that fetch did not list: 401 at once;
   *  - otherwise it may be a key published since: fetched, with a short gap between such fetches
   *    and a budget over them, callers waiting on the fetch. A fetch that cannot happen now (the
   *    budget, a backoff after a failure) is 503 with Retry-After, never a 401.
   */
  private unknownKid(
    kid: string | undefined,
    claims: UnverifiedClaims | undefined,
    now: number,
    metSeq = this.seq,
  ): KeyEntry | Promise<KeyEntry> {
    if (kid === undefined)
      throw notFound(undefined, 'The token header names no kid, so no key of the JWKS can be chosen for it.')
    const absent = this.absent.get(kid)
    if (absent !== undefined) {
      throw notFound(
        kid,
        absent.refused === undefined
          ? `A fetch of the JWKS ${ago(now, absent.at)} did not list it.`
          : `The JWKS lists it, but its key was refused (${absent.refused}), so no token can be verified with it.`,
      )
    }
    const iat = claims?.iat
    if (typeof iat === 'number' && iat * 1000 < this.fetchStartedAt - PUBLICATION_MARGIN_MS) {
      this.absent.add(kid, this.fetchStartedAt)
      throw notFound(
        kid,
        `The token was issued before the JWKS was last fetched (${ago(now, this.fetchStartedAt)}), and that fetch did not list it.`,
      )
    }
    return this.fetchFor(kid, metSeq)
  }

  /**
   * Waits for a fetch that can answer for `kid`: one under way is joined, but only a fetch that
   * began after the kid was met (`metSeq`) can show it is absent, since an earlier one may predate
   * its key's publication.
   */
  private async fetchFor(kid: string, metSeq: number): Promise<KeyEntry> {
    for (;;) {
      const fetch = this.inflight ?? this.planFetch(kid, this.options.clock())
      const outcome = await this.waitFor(fetch)
      const entry = this.keys.get(kid)
      if (entry) return entry
      const now = this.options.clock()
      if (outcome === 'timeout') {
        throw this.unavailable(
          now,
          1000,
          `This token's key (kid ${quote(kid)}) is not among the keys fetched so far, and the JWKS fetch for it did not finish within ${this.options.timeoutMs} ms.`,
        )
      }
      if (outcome === 'failed') {
        const why =
          fetch.rateLimitedMs !== undefined
            ? "The fleet's budget of JWKS fetches for unknown kids is spent for now (a bound that keeps the fleet under Dynamic's rate limit)."
            : `The JWKS could not be fetched to look for it: ${this.lastError ?? 'unknown error'}.`
        throw this.unavailable(
          now,
          fetch.rateLimitedMs,
          `This token's key (kid ${quote(kid)}) is not among the keys fetched so far. ${why}`,
        )
      }
      if (fetch.seq > metSeq) {
        this.absent.add(kid, fetch.startedAt)
        throw notFound(kid, 'The JWKS was fetched just now to look for it, and does not list it.')
      }
    }
  }

  /**
   * A fetch for a kid never seen before: at once, or at the end of the minimum gap when that is
   * near (one planned fetch serves everyone who asks meanwhile). Throws `jwks_unavailable` when
   * no fetch is allowed soon: the budget is spent, or a failed fetch is backing off.
   */
  private planFetch(kid: string, now: number): Fetch {
    if (this.planned) return this.planned
    const gapEnd = this.lastUnknownKidFetchAt + this.options.cooldownMs
    const allowedAt = Math.max(gapEnd, this.retryAt, this.rateLimitedUntil, this.budget.availableAt(now))
    const wait = allowedAt - now
    if (wait > PLAN_WITHIN_MS) {
      const why =
        this.retryAt > now
          ? `The last fetch of the JWKS failed (${this.lastError ?? 'unknown error'}), and the next try is not due yet.`
          : this.rateLimitedUntil > now
            ? "The fleet's budget of JWKS fetches for unknown kids is spent for now (a bound that keeps the fleet under Dynamic's rate limit)."
            : allowedAt === gapEnd
              ? `The JWKS was fetched for an unknown kid less than jwks.cooldown (${this.options.cooldownMs} ms) ago.`
              : "The JWKS was fetched for unknown kids often in the last minute (a bound that keeps this server under Dynamic's rate limit)."
      throw this.unavailable(
        now,
        wait,
        `This token's key (kid ${quote(kid)}) is not among the keys fetched so far. ${why}`,
      )
    }
    this.budget.take(now)
    this.lastUnknownKidFetchAt = Math.max(now, allowedAt)
    if (wait <= 0) return this.refresh(now, kid)
    let settle!: (loaded: boolean) => void
    const planned: Fetch = {
      seq: Number.POSITIVE_INFINITY,
      startedAt: allowedAt,
      done: new Promise<boolean>((resolve) => (settle = resolve)),
    }
    this.planned = planned
    const timer = setTimeout(() => {
      this.planned = undefined
      const fetch = this.refresh(this.options.clock(), kid)
      planned.seq = fetch.seq
      void fetch.done.then((loaded) => {
        if (fetch.rateLimitedMs !== undefined) planned.rateLimitedMs = fetch.rateLimitedMs
        settle(loaded)
      })
    }, wait)
    ;(timer as { unref?: () => void }).unref?.()
    return planned
  }

  /** A fetch's outcome; `timeout` once the JWKS timeout (plus the wait of a planned fetch) has passed. */
  private waitFor(fetch: Fetch): Promise<'loaded' | 'failed' | 'timeout'> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs + PLAN_WITHIN_MS)
    })
    const outcome = fetch.done.then((loaded): 'loaded' | 'failed' => (loaded ? 'loaded' : 'failed'))
    return Promise.race([outcome, timeout]).finally(() => clearTimeout(timer))
  }

  /** No fresh keys: fetch (or join the fetch under way), then fall back to stale keys. */
  private async refreshThenLookup(
    kid: string | undefined,
    claims: UnverifiedClaims | undefined,
    now: number,
  ): Promise<KeyEntry> {
    const metSeq = this.seq
    const fetch = this.inflight || now >= this.retryAt ? this.refresh(now) : undefined
    const fetched = fetch === undefined ? false : await fetch.done
    const after = this.options.clock()
    const entry = kid === undefined ? undefined : this.keys.get(kid)
    if (fetched) {
      if (entry) return entry
      if (kid !== undefined && fetch!.seq > metSeq) {
        this.absent.add(kid, fetch!.startedAt)
        throw notFound(kid, 'The JWKS was fetched just now, and does not list it.')
      }
      return this.unknownKid(kid, claims, after, metSeq)
    }
    if (this.fetchedAt !== undefined && after - this.fetchedAt < this.options.maxAgeMs + this.options.staleIfErrorMs) {
      this.options.onEvent?.({ type: 'jwks_stale', url: this.options.url, ageMs: after - this.fetchedAt })
      if (entry) return entry
    }
    throw this.unavailable(after)
  }

  /** One fetch at a time; every caller that needs keys meanwhile waits on the same one. */
  private refresh(now: number, unknownKid?: string): Fetch {
    if (this.inflight) return this.inflight
    const fetch = { seq: ++this.seq, startedAt: now } as Fetch & { done: Promise<boolean> }
    fetch.done = this.load(fetch, unknownKid, Date.now()).finally(() => {
      if (this.inflight === fetch) this.inflight = undefined
    })
    this.inflight = fetch
    return fetch
  }

  private async load(fetch: Fetch, unknownKid: string | undefined, since: number): Promise<boolean> {
    const { url, backend, clock, onEvent } = this.options
    try {
      const loader: JwksLoader = this.options.loader ?? fetchJwks
      const raw = await loader(url, this.options, unknownKid === undefined ? {} : { unknownKid, since })
      const { keys, rejected } = await importKeySet(raw, backend, this.keys)
      if (keys.size === 0) {
        const why = rejected.map((r) => `${r.kid ?? '(no kid)'} ${r.reason}`).join('; ')
        throw new JwksFetchError(`has no usable key${why ? `: ${why}` : ''}`)
      }
      // A fetch for an unknown kid that found a key this store did not hold was a rotation, not a
      // made-up kid: it gives its budget back, so that rotations never wait on floods of the past.
      if (unknownKid !== undefined && [...keys.keys()].some((kid) => !this.keys.has(kid))) this.budget.refund()
      for (const kid of this.keys.keys()) if (!keys.has(kid)) this.absent.add(kid, fetch.startedAt)
      for (const { kid, reason } of rejected) if (kid !== undefined) this.absent.add(kid, fetch.startedAt, reason)
      for (const kid of keys.keys()) this.absent.delete(kid)
      this.keys = keys
      this.fetchedAt = clock()
      this.fetchStartedAt = fetch.startedAt
      this.failures = 0
      this.retryAt = 0
      this.lastError = undefined
      onEvent?.({ type: 'jwks_refreshed', url, kids: [...keys.keys()], rejected })
      return true
    } catch (cause) {
      const now = clock()
      if (cause instanceof JwksFetchError && cause.rateLimited) {
        // A budget said no, not the JWKS: no backoff, and the budget this store spent is returned.
        const waitMs = Math.max(cause.retryAfterMs ?? 1000, 1)
        fetch.rateLimitedMs = waitMs
        this.rateLimitedUntil = now + waitMs
        if (unknownKid !== undefined) this.budget.refund()
        return false
      }
      this.failures++
      // A wrong URL will not be right in a second: retry at the longest backoff, not the shortest.
      const configuration = cause instanceof JwksFetchError && cause.configuration
      const backoff = configuration
        ? Math.max(this.options.maxBackoffMs, INITIAL_BACKOFF_MS)
        : Math.min(this.options.maxBackoffMs, INITIAL_BACKOFF_MS * 2 ** Math.min(this.failures - 1, 20))
      const retryInMs = Math.max(backoff, cause instanceof JwksFetchError ? (cause.retryAfterMs ?? 0) : 0)
      this.retryAt = now + retryInMs
      // A failure is not what the budget for new kids is for: the next answer of the JWKS gets it.
      if (unknownKid !== undefined) {
        this.budget.refund()
        this.lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY
      }
      this.lastError = `The JWKS at ${url} ${cause instanceof JwksFetchError ? cause.message : `could not be read: ${String(cause)}`}`
      onEvent?.({ type: 'jwks_error', url, message: this.lastError, failures: this.failures, retryInMs })
      return false
    }
  }

  /** 503 with Retry-After: the key cannot be checked now, and a retry soon may succeed. */
  private unavailable(now: number, waitMs?: number, context?: string): DynamicAuthError {
    const until = waitMs !== undefined ? now + waitMs : this.retryAt
    const retryAfter = Math.max(1, Math.ceil((until - now) / 1000))
    const base =
      context ??
      (this.fetchedAt === undefined
        ? `Dynamic's signing keys could not be loaded, so no token can be verified right now. ${this.lastError ?? ''}`.trim()
        : `Dynamic's signing keys are past their age limit and could not be refetched. ${this.lastError ?? ''}`.trim())
    return new DynamicAuthError(
      'jwks_unavailable',
      `${base} Retry in ${retryAfter} s; the client should retry, not sign in again.`,
      { retryAfter },
    )
  }
}

function quote(kid: string): string {
  return JSON.stringify(kid.length > 64 ? `${kid.slice(0, 64)}…` : kid)
}

function ago(now: number, then: number | undefined): string {
  if (then === undefined || !Number.isFinite(then)) return 'earlier'
  const seconds = Math.max(0, Math.round((now - then) / 1000))
  return `${seconds} s ago`
}

function notFound(kid: string | undefined, why: string): DynamicAuthError {
  return new DynamicAuthError(
    'key_not_found',
    kid === undefined
      ? why
      : `This token's key (kid ${quote(kid)}) is not published in the configured JWKS. ${why} A retired key's tokens, or tokens not issued by Dynamic for this environment, cannot be verified: the user must sign in again.`,
  )
}

/** Where the static keys came from, for messages. */
export type StaticKeyOrigin = 'publicKey' | 'jwks'

/**
 * Keys given in configuration: the keys of a JWKS object, or one PEM public key (which has no kid
 * and verifies every token, whatever kid its header names). No network, so never
 * `jwks_unavailable`. Every key was read and checked synchronously at start-up; importing is
 * left. A backend that imports synchronously (node:crypto) does it in the constructor, so that
 * an import failure is a {@link DynamicAuthConfigError} thrown by createDynamicAuth. An
 * asynchronous one (WebCrypto) finishes later: should it still fail, the verifier answers
 * `key_unusable` (503), and `warmUp()` rejects with it, since nothing can be verified until the
 * configuration changes.
 */
export class StaticKeyStore implements KeyStore {
  private keys: Map<string, KeyEntry> | undefined
  /** A PEM key has no kid: it verifies every token, whatever kid the header names. */
  private anyKid: KeyEntry | undefined
  private failure: DynamicAuthError | undefined
  private readonly ready: Promise<void>

  constructor(
    source: { readonly origin: StaticKeyOrigin; readonly keys: readonly AcceptedJwk[] },
    backend: SignatureBackend,
  ) {
    const imports: Array<PreparedKey | PromiseLike<PreparedKey>> = []
    for (const key of source.keys) {
      try {
        imports.push(backend.importRsaPublicKey(key.jwk))
      } catch (cause) {
        throw new DynamicAuthConfigError(
          `dynamic-guard: ${describeStatic(source.origin, key)} passed every check but the ${backend.name} backend could not import it: ${reason(cause)}.`,
        )
      }
    }
    const install = (prepared: readonly PreparedKey[]): void => {
      const entries = source.keys.map(
        (key, i): KeyEntry => ({
          kid: key.kid,
          key: prepared[i],
          modulusBytes: key.modulusBytes,
          fingerprint: `${key.jwk.n}.${key.jwk.e}`,
        }),
      )
      if (source.origin === 'publicKey') this.anyKid = entries[0]
      else this.keys = new Map(entries.map((entry) => [entry.kid!, entry]))
    }
    if (!imports.some(isThenable)) {
      install(imports)
      this.ready = Promise.resolve()
      return
    }
    this.ready = Promise.all(imports).then(install, (cause: unknown) => {
      this.failure = new DynamicAuthError(
        'key_unusable',
        `The configured ${source.origin} key passed every check at start-up, but the ${backend.name} backend of this runtime could not import it (${reason(cause)}), so no token can be verified until the configuration changes. This is a server problem, not the client's.`,
        { cause },
      )
      throw this.failure
    })
    this.ready.catch(() => undefined) // surfaced by warmUp and getKey
  }

  getKey(kid: string | undefined): KeyEntry | Promise<KeyEntry> {
    if (this.anyKid) return this.anyKid
    if (this.keys) {
      const entry = kid === undefined ? undefined : this.keys.get(kid)
      if (!entry) throw notFound(kid, 'staticKeys.jwks does not list it.')
      return entry
    }
    if (this.failure) throw this.failure
    return this.ready.then(() => this.getKey(kid))
  }

  isCurrent(): boolean {
    return true
  }

  warmUp(): Promise<void> {
    return this.ready
  }

  status(): KeyStoreStatus {
    const kids = this.keys ? [...this.keys.keys()] : []
    return {
      source: 'static',
      kids,
      consecutiveFailures: this.failure ? 1 : 0,
      ...(this.failure ? { lastError: this.failure.message } : {}),
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

function reason(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

function describeStatic(origin: StaticKeyOrigin, key: AcceptedJwk): string {
  return origin === 'publicKey' ? 'staticKeys.publicKey' : `the key ${JSON.stringify(key.kid)} of staticKeys.jwks`
}
