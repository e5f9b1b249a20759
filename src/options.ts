/**
 * The options of {@link createDynamicAuth}, their defaults, and their validation. Validation runs
 * once, at start-up: a bad configuration is a {@link DynamicAuthConfigError} thrown by
 * createDynamicAuth, never a failure at the first request.
 */
import { DynamicAuthConfigError } from './errors.js'
import { defaultIssuers } from './claims/issuer.js'
import { USER_BASIC } from './claims/scopes.js'
import { acceptJwk, type AcceptedJwk } from './keys/jwk.js'
import { acceptRsaPublicKey } from './keys/public-key-pem.js'
import type { KeyStoreEvent, KeyStoreFactory } from './keys/key-store.js'
import { createMemoryRevocationStore } from './revocation/memory-store.js'
import type { RevocationStore } from './revocation/store.js'
import type { MeterProviderLike, TracerProviderLike } from './util/otel-types.js'
import type { SignatureBackend } from './signature/backend.js'
import { ProblemLog, type DynamicAuthLogger } from './util/problem-log.js'
import { closestName } from './util/closest-name.js'

/** Options of {@link createDynamicAuth}. Durations of the key store are in milliseconds, claim times in seconds. */
export interface DynamicAuthOptions {
  /** The Dynamic environment id (a UUID, from the dashboard's Developer → SDK & API Keys). Required. */
  environmentId: string
  /**
   * Where the environment's keys are. Default: `https://app.dynamic.xyz/api/v0/sdk/<environmentId>/.well-known/jwks`.
   * Must be `https` (plain `http` only to a loopback host, or with `allowInsecureJwksUrl`); redirects
   * are never followed. Set it when a custom hostname serves the JWKS. One of `jwksUrl`, `jwks`, `publicKey`.
   */
  jwksUrl?: string | URL
  /** Verify without any network: the environment's JWKS document, as `{ keys: [...] }`. Every key is checked at start-up. */
  jwks?: { keys: readonly object[] }
  /**
   * Verify without any network: the environment's RSA public key (from older dashboards), used
   * whatever the token's kid. PEM (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`) in any layout a
   * paste or an environment variable gives it (one line, `\n` escapes, CRLF, quotes), or the bare
   * base64 body. Read and checked at start-up: a bad key is a DynamicAuthConfigError.
   */
  publicKey?: string
  /**
   * Accepted `iss` values, compared exactly. Default: `app.dynamicauth.com/<environmentId>` and
   * `app.dynamic.xyz/<environmentId>`: tokens have been seen with the first form and Dynamic's docs
   * show the second, so both are accepted; set this to pin one.
   */
  issuer?: string | readonly string[]
  /**
   * When set, `aud` (a string or an array) must contain one of these: your front ends' origins, e.g.
   * `https://app.example.com` (Dynamic sets `aud` to the origin of the site that obtained the token).
   * Default: not checked.
   */
  audience?: string | readonly string[]
  /** Scopes every token must have on top of `user:basic`, which is always required. Default: none. */
  requiredScopes?: string | readonly string[]
  /** Allowed clock skew for exp, nbf and iat, in seconds. Default 5; at most 300. */
  clockTolerance?: number
  /**
   * The longest lifetime a token may claim, in seconds: an `exp` further ahead is refused (which also
   * catches timestamps in milliseconds). Default 30 days, Dynamic's maximum. Revocation entries expire
   * this long (+ `clockTolerance`) after the newest token they cover.
   */
  maxTokenLifetime?: number
  /** Longest accepted token, in characters, checked before any decoding. Default 16384. */
  maxTokenLength?: number
  /** How many verified tokens to remember; 0 turns the cache off. Default 1000. An entry never outlives its token's `exp` or the key that verified it. */
  tokenCacheSize?: number
  /** How long fetched keys are fresh, in ms. They are refreshed in the background from 75 % of that age on. Default 600000 (10 min). */
  jwksCacheMaxAge?: number
  /**
   * The least time between two JWKS fetches for kids never seen before, in ms; callers that meet
   * unknown kids meanwhile wait for the next fetch. Default 1000. Such fetches also share a budget
   * (4 at once, then one per 15 s), and a kid a fetch did not list is refused from memory, so
   * made-up kids cannot multiply requests. See the fleet guide's "Key rotation".
   */
  jwksCooldown?: number
  /** Timeout of one JWKS request, body included, in ms. Default 5000. */
  jwksTimeout?: number
  /**
   * How long keys stay usable past their max age while the JWKS cannot be fetched, in ms. Default
   * 43200000 (12 h). A key removed from a JWKS that was fetched is dropped at once.
   */
  jwksStaleIfError?: number
  /** The longest wait between retries while no keys can be fetched, in ms (exponential from 1 s, or the server's `Retry-After`). Default 60000. */
  jwksMaxBackoff?: number
  /** Largest JWKS response read, in bytes. Default 65536. */
  jwksMaxBytes?: number
  /** Allows an `http:` jwksUrl on a host other than loopback. Loosens security: logged loudly. Default false. */
  allowInsecureJwksUrl?: boolean
  /** The fetch used for the JWKS (to add a proxy or an agent). Default: the global fetch. */
  fetch?: typeof globalThis.fetch
  /**
   * The crypto implementation. Default, per runtime through the package's export conditions:
   * node:crypto on Node and Bun, WebCrypto on Deno, Cloudflare Workers and edge runtimes. Pass
   * `webCryptoBackend` (from `dynamic-guard/extend`) to force WebCrypto.
   */
  signatureBackend?: SignatureBackend
  /** The current time in ms since the epoch. Default `Date.now`. For tests. */
  clock?: () => number
  /**
   * Receives key-store events, for logs and metrics: `jwks_refreshed` (the kids, and the rejected keys
   * and why), `jwks_error`, `jwks_stale`. Never contains a token.
   */
  onEvent?: (event: KeyStoreEvent) => void
  /**
   * OpenTelemetry metrics and traces (see the observability guide). Default: on, through the
   * providers registered with `@opentelemetry/api` (nothing is recorded when none is registered).
   * `false` turns both off; `{ metrics: false }` or `{ traces: false }` one of them;
   * `meterProvider`/`tracerProvider` give providers for apps that do not register globals.
   */
  telemetry?: TelemetrySetting
  /**
   * Where revoked sessions are kept. Default: in this process only. For a fleet, a shared store
   * such as `createRedisRevocationStore` of `dynamic-guard/redis`. Entries expire on their own
   * `maxTokenLifetime` (+ `clockTolerance`) after the newest token they can cover.
   */
  revocation?: RevocationStore
  /**
   * Builds the key store of a remote JWKS, e.g. `createRedisKeyStore` of `dynamic-guard/redis`
   * (one JWKS fetch for a whole fleet). Default: a JWKS cache of this process.
   */
  keyStore?: KeyStoreFactory
  /**
   * Where problems of this server's configuration are written, so that the operator sees them
   * and not only the refused client: a JWKS URL that answers 404, a static key that verifies no
   * signature, a loosened check. Each distinct problem once, then at most once per 10 minutes while
   * it lasts; never a token. Default `console`; `false` writes nothing.
   */
  logger?: DynamicAuthLogger | false
}

/**
 * Every option name, checked against {@link DynamicAuthOptions} by the compiler: plain
 * JavaScript has no type check, so a misspelt option (`audiance`) is refused at start-up, not
 * silently ignored.
 */
export const OPTION_NAMES = [
  'environmentId', 'jwksUrl', 'jwks', 'publicKey', 'issuer', 'audience', 'requiredScopes', 'clockTolerance', 'maxTokenLifetime',
  'maxTokenLength', 'tokenCacheSize', 'jwksCacheMaxAge', 'jwksCooldown', 'jwksTimeout', 'jwksStaleIfError', 'jwksMaxBackoff',
  'jwksMaxBytes', 'allowInsecureJwksUrl', 'fetch', 'signatureBackend', 'clock', 'onEvent', 'telemetry', 'revocation', 'keyStore',
  'logger',
] as const satisfies ReadonlyArray<keyof DynamicAuthOptions>
// Fails to compile when an option is added to DynamicAuthOptions but not to OPTION_NAMES.
const everyOptionNamed: Exclude<keyof DynamicAuthOptions, (typeof OPTION_NAMES)[number]> extends never ? true : never = true
void everyOptionNamed

/**
 * Options of the `telemetry` setting of `createDynamicAuth` and `createDynamicWebhooks`.
 * `false` turns metrics and traces off.
 */
export interface TelemetryOptions {
  /** Record metrics. Default true (when a meter provider is registered or given). */
  metrics?: boolean
  /** Record spans. Default true (when a tracer provider is registered or given). */
  traces?: boolean
  /** The meter provider to use instead of the global one (for apps that do not register globals). */
  meterProvider?: MeterProviderLike
  /** The tracer provider to use instead of the global one. */
  tracerProvider?: TracerProviderLike
}

/** The `telemetry` option: `false`, or {@link TelemetryOptions}. Omitted: on, through the global providers. */
export type TelemetrySetting = false | TelemetryOptions

/** The options after validation, with every default filled in. */
export interface ResolvedOptions {
  readonly environmentId: string
  readonly keySource:
    | { readonly kind: 'remote'; readonly url: string }
    | { readonly kind: 'jwks'; readonly jwks: { keys: readonly object[] }; /** Its keys, accepted at start-up. */ readonly keys: readonly AcceptedJwk[] }
    | { readonly kind: 'pem'; readonly pem: string; /** The key read from `pem`, accepted at start-up. */ readonly keys: readonly [AcceptedJwk] }
  readonly issuers: readonly string[]
  readonly audiences: readonly string[] | undefined
  /** `user:basic` first, then the configured extra scopes. */
  readonly requiredScopes: readonly string[]
  readonly clockTolerance: number
  readonly maxTokenLifetime: number
  readonly maxTokenLength: number
  readonly tokenCacheSize: number
  readonly jwksCacheMaxAge: number
  readonly jwksCooldown: number
  readonly jwksTimeout: number
  readonly jwksStaleIfError: number
  readonly jwksMaxBackoff: number
  readonly jwksMaxBytes: number
  readonly fetch: typeof globalThis.fetch
  readonly clock: () => number
  readonly onEvent: ((event: KeyStoreEvent) => void) | undefined
  readonly revocation: RevocationStore
  readonly keyStore: KeyStoreFactory | undefined
  /** Configuration problems, written once each to the `logger` option. */
  readonly problems: ProblemLog
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const LOOPBACK_HOSTNAME = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i

/** True for `localhost`, `127.x.x.x` and `::1` (with or without brackets, as `URL.hostname` writes it or as a `--host` gives it). */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTNAME.test(hostname)
}

/** The JWKS URL Dynamic serves for an environment. */
export function defaultJwksUrl(environmentId: string): string {
  return `https://app.dynamic.xyz/api/v0/sdk/${environmentId}/.well-known/jwks`
}

function fail(message: string): never {
  throw new DynamicAuthConfigError(`dynamic-guard: ${message}`)
}

function stringList(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string' && v.length > 0)) {
    fail(`${name} must be a non-empty string or a non-empty list of non-empty strings.`)
  }
  return [...list]
}

function number(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`${name} must be a number from ${min} to ${max}; got ${JSON.stringify(value)}.`)
  }
  return value
}

/** Validates `options` and fills in the defaults. Throws {@link DynamicAuthConfigError}. */
export function resolveOptions(options: DynamicAuthOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('createDynamicAuth needs an options object with environmentId.')
  const { environmentId: rawEnvironmentId } = options
  if (rawEnvironmentId === undefined || rawEnvironmentId === null || rawEnvironmentId === '') {
    fail('environmentId is required: the id of your Dynamic environment (a UUID, in the dashboard under Developer → SDK & API Keys). Is DYNAMIC_ENVIRONMENT_ID set?')
  }
  if (typeof rawEnvironmentId !== 'string' || !UUID.test(rawEnvironmentId.trim())) {
    fail(`environmentId must be a UUID like 2762a57b-faa4-41ce-9f16-abff9300e2c9; got ${JSON.stringify(String(rawEnvironmentId).slice(0, 60))}.`)
  }
  const environmentId = rawEnvironmentId.trim().toLowerCase()
  checkOptionNames(options)
  const logger = options.logger
  if (logger !== undefined && logger !== false && typeof (logger as { warn?: unknown } | null)?.warn !== 'function') {
    fail('logger must be an object with a warn(message) method (console, pino, winston...), or false.')
  }
  const clock = options.clock ?? Date.now
  const problems = new ProblemLog(logger === false ? undefined : (logger ?? console), clock)

  const sources = [options.jwksUrl, options.jwks, options.publicKey].filter((s) => s !== undefined).length
  if (sources > 1) fail('give only one of jwksUrl, jwks and publicKey.')
  let keySource: ResolvedOptions['keySource']
  if (options.jwks !== undefined) {
    const keys = (options.jwks as { keys?: unknown } | null)?.keys
    if (!Array.isArray(keys) || keys.length === 0) fail('jwks must be a JWKS document: { keys: [ ...at least one RSA key... ] }.')
    const kids = new Set<string>()
    const acceptedKeys: AcceptedJwk[] = []
    for (const key of keys) {
      const accepted = acceptJwk(key)
      if ('rejected' in accepted) fail(`a key of the jwks option ${accepted.rejected}.`)
      if (accepted.kid === undefined) fail('every key of the jwks option needs a kid.')
      // Two keys under one kid are ambiguous; say so now rather than refuse every token later.
      if (kids.has(accepted.kid)) fail(`the jwks option has two keys with kid ${JSON.stringify(accepted.kid)}.`)
      kids.add(accepted.kid)
      acceptedKeys.push(accepted)
    }
    keySource = { kind: 'jwks', jwks: options.jwks, keys: acceptedKeys }
  } else if (options.publicKey !== undefined) {
    // Read in JavaScript, not by the runtime's crypto: the same text is the same key (or the same
    // refusal) on every runtime, and a bad key is refused here, at start-up.
    const accepted = acceptRsaPublicKey(options.publicKey, 'publicKey')
    if ('rejected' in accepted) fail(accepted.rejected)
    keySource = { kind: 'pem', pem: options.publicKey, keys: [{ kid: accepted.kid, jwk: accepted.jwk, modulusBytes: accepted.modulusBytes }] }
  } else {
    const raw = options.jwksUrl ?? defaultJwksUrl(environmentId)
    let url: URL
    try {
      url = new URL(String(raw))
    } catch {
      fail(`jwksUrl is not a URL: ${JSON.stringify(String(raw).slice(0, 200))}.`)
    }
    if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
      if (options.allowInsecureJwksUrl !== true) {
        fail(`jwksUrl must use https (got ${url.origin}); plain http lets anyone on the path swap the keys. Set allowInsecureJwksUrl: true only for a trusted network.`)
      }
      problems.report('insecure-jwks-url', `SECURITY WARNING: fetching signing keys over plain http from ${url.origin} (allowInsecureJwksUrl).`)
    } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      fail(`jwksUrl must be an https URL; got ${url.protocol}.`)
    }
    if (url.username || url.password) fail('jwksUrl must not contain credentials.')
    keySource = { kind: 'remote', url: url.href }
  }

  const fetchImpl = options.fetch ?? globalThis.fetch
  if (keySource.kind === 'remote' && typeof fetchImpl !== 'function') fail('no fetch is available; pass the fetch option.')
  if (options.clock !== undefined && typeof options.clock !== 'function') fail('clock must be a function returning ms since the epoch.')
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') fail('onEvent must be a function.')
  const revocation = options.revocation
  if (revocation !== undefined && !(typeof revocation === 'object' && revocation !== null && typeof revocation.check === 'function' && typeof revocation.add === 'function' && typeof revocation.status === 'function')) {
    fail('revocation must be a revocation store (check, add and status), e.g. createRedisRevocationStore from dynamic-guard/redis.')
  }
  if (options.keyStore !== undefined) {
    if (typeof options.keyStore !== 'function') fail('keyStore must be a key store factory, e.g. createRedisKeyStore({ client }) from dynamic-guard/redis.')
    if (keySource.kind !== 'remote') fail('keyStore shares a remote JWKS; it cannot be combined with the jwks or publicKey options.')
  }

  const extraScopes = stringList('requiredScopes', options.requiredScopes) ?? []
  for (const scope of extraScopes) if (/\s/.test(scope)) fail(`requiredScopes holds "${scope}", which contains whitespace; give one scope per entry.`)

  return {
    environmentId,
    keySource,
    issuers: stringList('issuer', options.issuer) ?? defaultIssuers(environmentId),
    audiences: stringList('audience', options.audience),
    requiredScopes: [USER_BASIC, ...extraScopes.filter((s) => s !== USER_BASIC)],
    clockTolerance: number('clockTolerance', options.clockTolerance, 5, 0, 300),
    maxTokenLifetime: number('maxTokenLifetime', options.maxTokenLifetime, 30 * 24 * 3600, 1, 366 * 24 * 3600),
    maxTokenLength: number('maxTokenLength', options.maxTokenLength, 16384, 256, 1 << 20),
    tokenCacheSize: Math.floor(number('tokenCacheSize', options.tokenCacheSize, 1000, 0, 10_000_000)),
    jwksCacheMaxAge: number('jwksCacheMaxAge', options.jwksCacheMaxAge, 600_000, 10, 7 * 24 * 3600_000),
    jwksCooldown: number('jwksCooldown', options.jwksCooldown, 1000, 0, 3600_000),
    jwksTimeout: number('jwksTimeout', options.jwksTimeout, 5000, 1, 120_000),
    jwksStaleIfError: number('jwksStaleIfError', options.jwksStaleIfError, 12 * 3600_000, 0, 30 * 24 * 3600_000),
    jwksMaxBackoff: number('jwksMaxBackoff', options.jwksMaxBackoff, 60_000, 0, 3600_000),
    jwksMaxBytes: number('jwksMaxBytes', options.jwksMaxBytes, 65536, 1024, 16 << 20),
    fetch: fetchImpl,
    clock,
    onEvent: options.onEvent,
    revocation: revocation ?? createMemoryRevocationStore({ clock: options.clock ?? Date.now }),
    keyStore: options.keyStore,
    problems,
  }
}

/** Key options that may come from an environment variable: present but `undefined` is a mistake. */
const KEY_OPTIONS = ['jwksUrl', 'jwks', 'publicKey'] as const

function checkOptionNames(options: object): void {
  const known: readonly string[] = OPTION_NAMES
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue
    const suggestion = closestName(name, known)
    fail(`unknown option ${JSON.stringify(name.slice(0, 64))}${suggestion ? `; did you mean ${suggestion}?` : '.'} The options are listed in DynamicAuthOptions (the API reference).`)
  }
  for (const name of KEY_OPTIONS) {
    if (Object.hasOwn(options, name) && (options as Record<string, unknown>)[name] === undefined) {
      fail(
        `${name} is given but undefined (an environment variable that is not set?). Leaving it out means fetching the keys from Dynamic's JWKS over the network: remove the option for that, or set it.`,
      )
    }
  }
}
