/**
 * Where verification keys come from. {@link RemoteKeyStore} is the cached JWKS of Dynamic's
 * diagram: fetched on first use (or by warmUp), refreshed in the background before it ages out,
 * refetched at most once per cooldown for an unknown kid with one request shared by every
 * waiting caller, kept for a bounded time when Dynamic is unreachable (stale-if-error), and
 * retried with backoff (or after the server's Retry-After) when there are no keys at all.
 * {@link StaticKeyStore} serves a configured JWKS or PEM key, with no network.
 */
import { DynamicAuthConfigError, DynamicAuthError } from '../errors.js'
import type { PreparedKey, SignatureBackend } from '../signature/backend.js'
import { fetchJwks, JwksFetchError, type FetchJwksLimits } from './fetch-jwks.js'
import { importKeySet, type KeyEntry, type RejectedKey } from './key-set.js'
import type { AcceptedJwk } from './jwk.js'

export type { KeyEntry } from './key-set.js'

/** What the key store reports, for logs and health checks. Never contains a token. */
export type KeyStoreEvent =
  | { type: 'jwks_refreshed'; url: string; kids: string[]; rejected: RejectedKey[] }
  | { type: 'jwks_error'; url: string; message: string; failures: number; retryInMs: number }
  | { type: 'jwks_stale'; url: string; ageMs: number }

/** A snapshot of the key store, for health endpoints. */
export interface KeyStoreStatus {
  readonly source: 'remote' | 'static'
  readonly url?: string
  readonly kids: string[]
  /** When the keys were last fetched successfully (ms since the epoch), if ever. */
  readonly fetchedAt?: number
  readonly consecutiveFailures: number
  readonly lastError?: string
}

/** What a {@link KeyStoreFactory} builds on: the validated settings of the configured remote JWKS. */
export interface KeyStoreContext {
  readonly remote: RemoteKeyStoreOptions
}

/**
 * Builds the key store of a verifier whose keys come from a JWKS URL (the `keyStore` option):
 * the seam a fleet uses to share one JWKS fetch, e.g. `createRedisKeyStore` of
 * `dynamic-guard/redis`, which returns a `RemoteKeyStore` with a shared {@link JwksLoader}.
 */
export type KeyStoreFactory = (context: KeyStoreContext) => KeyStore

/** The verifier's view of a key source. */
export interface KeyStore {
  /** The key for `kid`: synchronous when known, a promise when a fetch is needed. Throws DynamicAuthError. */
  getKey(kid: string | undefined): KeyEntry | Promise<KeyEntry>
  /**
   * False once `entry` is no longer trusted: removed from the JWKS by a refresh, or (remote keys)
   * aged past their max age, so that a cached verification goes the full way and refreshes.
   * `now` is the caller's clock reading in ms.
   */
  isCurrent(entry: KeyEntry, now: number): boolean
  /** Loads the keys now; rejects with `jwks_unavailable` when that fails. */
  warmUp(): Promise<void>
  status(): KeyStoreStatus
}

/**
 * Reads the keys of the JWKS at `url` (the `keys` array, unvalidated). The default is one bounded
 * HTTP request (`fetchJwks`); a fleet plugs a loader that shares one fetch between instances.
 * Throw `JwksFetchError` (with `retryAfterMs` when the source asked to wait) on failure.
 */
export type JwksLoader = (url: string, limits: FetchJwksLimits, context: JwksLoadContext) => Promise<unknown[]>

/** Why the keys are being loaded. */
export interface JwksLoadContext {
  /** Set when a token named a kid the current keys lack (a rotation, or a forged kid). */
  readonly unknownKid?: string
}

/** Tunables of `RemoteKeyStore`, all in milliseconds. */
export interface RemoteKeyStoreOptions extends FetchJwksLimits {
  readonly url: string
  /** Where the JWKS is read from. Default: `fetchJwks`, an HTTP GET of the JWKS URL. */
  readonly loader?: JwksLoader
  readonly maxAgeMs: number
  readonly cooldownMs: number
  readonly staleIfErrorMs: number
  readonly maxBackoffMs: number
  readonly backend: SignatureBackend
  readonly clock: () => number
  readonly onEvent?: (event: KeyStoreEvent) => void
}

const INITIAL_BACKOFF_MS = 1000
/** Share of maxAge after which a use of the keys triggers a background refresh. */
const REFRESH_AHEAD = 0.75

/** The cached remote JWKS. */
export class RemoteKeyStore implements KeyStore {
  private keys = new Map<string, KeyEntry>()
  private fetchedAt: number | undefined
  private inflight: Promise<boolean> | undefined
  private failures = 0
  private retryAt = 0
  private lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY
  private lastError: string | undefined

  constructor(private readonly options: RemoteKeyStoreOptions) {}

  getKey(kid: string | undefined): KeyEntry | Promise<KeyEntry> {
    const now = this.options.clock()
    if (this.fetchedAt !== undefined && now - this.fetchedAt < this.options.maxAgeMs) {
      if (now - this.fetchedAt > this.options.maxAgeMs * REFRESH_AHEAD && !this.inflight && now >= this.retryAt) {
        void this.refresh()
      }
      const entry = kid === undefined ? undefined : this.keys.get(kid)
      return entry ?? this.afterUnknownKid(kid, now)
    }
    return this.refreshThenLookup(kid, now)
  }

  isCurrent(entry: KeyEntry, now: number): boolean {
    if (entry.kid === undefined || this.keys.get(entry.kid) !== entry || this.fetchedAt === undefined) return false
    const age = now - this.fetchedAt
    if (age >= this.options.maxAgeMs) return false
    if (age > this.options.maxAgeMs * REFRESH_AHEAD && !this.inflight && now >= this.retryAt) void this.refresh()
    return true
  }

  async warmUp(): Promise<void> {
    if (!(await this.refresh())) throw this.unavailable(this.options.clock())
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

  /** A kid the current keys do not have: maybe a rotation, maybe an attacker's random kid. */
  private async afterUnknownKid(kid: string | undefined, now: number): Promise<KeyEntry> {
    if (this.inflight) {
      await this.inflight
    } else if (now - this.lastUnknownKidFetchAt >= this.options.cooldownMs && now >= this.retryAt) {
      this.lastUnknownKidFetchAt = now
      if (!(await this.refresh(kid))) throw this.unavailable(this.options.clock())
    } else {
      throw notFound(kid, 'and the JWKS was refetched recently (cooldown), so it is not fetched again yet')
    }
    return this.lookup(kid)
  }

  /** No fresh keys: fetch (or join the fetch under way), then fall back to stale keys. */
  private async refreshThenLookup(kid: string | undefined, now: number): Promise<KeyEntry> {
    const fetched = this.inflight || now >= this.retryAt ? await this.refresh() : false
    if (fetched) return this.lookup(kid)
    const after = this.options.clock()
    if (this.fetchedAt !== undefined && after - this.fetchedAt < this.options.maxAgeMs + this.options.staleIfErrorMs) {
      this.options.onEvent?.({ type: 'jwks_stale', url: this.options.url, ageMs: after - this.fetchedAt })
      return this.lookup(kid)
    }
    throw this.unavailable(after)
  }

  private lookup(kid: string | undefined): KeyEntry {
    const entry = kid === undefined ? undefined : this.keys.get(kid)
    if (!entry) throw notFound(kid, 'after a fresh fetch of the JWKS')
    return entry
  }

  /** One fetch at a time; every caller that needs keys meanwhile waits on the same promise. */
  private refresh(unknownKid?: string): Promise<boolean> {
    this.inflight ??= this.load(unknownKid).finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  private async load(unknownKid?: string): Promise<boolean> {
    const { url, backend, clock, onEvent } = this.options
    try {
      const loader: JwksLoader = this.options.loader ?? fetchJwks
      const raw = await loader(url, this.options, unknownKid === undefined ? {} : { unknownKid })
      const { keys, rejected } = await importKeySet(raw, backend, this.keys)
      if (keys.size === 0) {
        const why = rejected.map((r) => `${r.kid ?? '(no kid)'} ${r.reason}`).join('; ')
        throw new JwksFetchError(`has no usable key${why ? `: ${why}` : ''}`)
      }
      this.keys = keys
      this.fetchedAt = clock()
      this.failures = 0
      this.retryAt = 0
      this.lastError = undefined
      onEvent?.({ type: 'jwks_refreshed', url, kids: [...keys.keys()], rejected })
      return true
    } catch (cause) {
      this.failures++
      const backoff = Math.min(this.options.maxBackoffMs, INITIAL_BACKOFF_MS * 2 ** Math.min(this.failures - 1, 20))
      const retryInMs = Math.max(backoff, cause instanceof JwksFetchError ? (cause.retryAfterMs ?? 0) : 0)
      this.retryAt = clock() + retryInMs
      this.lastError = `The JWKS at ${url} ${cause instanceof JwksFetchError ? cause.message : `could not be read: ${String(cause)}`}`
      onEvent?.({ type: 'jwks_error', url, message: this.lastError, failures: this.failures, retryInMs })
      return false
    }
  }

  private unavailable(now: number): DynamicAuthError {
    const retryAfter = Math.max(1, Math.ceil((this.retryAt - now) / 1000))
    return new DynamicAuthError(
      'jwks_unavailable',
      `Dynamic's signing keys could not be loaded, so no token can be verified right now. ${this.lastError ?? ''}`.trim(),
      { retryAfter },
    )
  }
}

function notFound(kid: string | undefined, context: string): DynamicAuthError {
  return new DynamicAuthError(
    'key_not_found',
    `No key with this token's kid is in the configured JWKS ${context}. The token may come from another Dynamic environment, or was not issued by Dynamic.`,
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

  constructor(source: { readonly origin: StaticKeyOrigin; readonly keys: readonly AcceptedJwk[] }, backend: SignatureBackend) {
    const imports: Array<PreparedKey | PromiseLike<PreparedKey>> = []
    for (const key of source.keys) {
      try {
        imports.push(backend.importRsaPublicKey(key.jwk))
      } catch (cause) {
        throw new DynamicAuthConfigError(`dynamic-guard: ${describeStatic(source.origin, key)} passed every check but the ${backend.name} backend could not import it: ${reason(cause)}.`)
      }
    }
    const install = (prepared: readonly PreparedKey[]): void => {
      const entries = source.keys.map((key, i): KeyEntry => ({ kid: key.kid, key: prepared[i], modulusBytes: key.modulusBytes, fingerprint: `${key.jwk.n}.${key.jwk.e}` }))
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
      if (!entry) throw notFound(kid, '(the static jwks option)')
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
    return { source: 'static', kids, consecutiveFailures: this.failure ? 1 : 0, ...(this.failure ? { lastError: this.failure.message } : {}) }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

function reason(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

function describeStatic(origin: StaticKeyOrigin, key: AcceptedJwk): string {
  return origin === 'publicKey' ? 'publicKey' : `the key ${JSON.stringify(key.kid)} of the jwks option`
}
