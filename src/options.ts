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
import { createMemoryOneTimeStore } from './one-time/memory-store.js'
import { isOneTimeStore, type OneTimeStore } from './one-time/store.js'
import type { MeterProviderLike, TracerProviderLike } from './util/otel-types.js'
import type { SignatureBackend } from './signature/backend.js'
import { ProblemLog, type DynamicAuthLogger } from './util/problem-log.js'
import { closestName } from './util/closest-name.js'

/**
 * Options of {@link createDynamicAuth}. The top level holds what most applications set; the
 * remote JWKS settings are under `jwks`, keys given without network under `staticKeys`, and the
 * rest under `advanced`. Durations of the key store are in milliseconds, claim times in seconds.
 */
export interface DynamicAuthOptions {
  /** The Dynamic environment id (a UUID, from the dashboard's Developer → SDK & API Keys). Required. */
  environmentId: string
  /**
   * When set, `aud` (a string or an array) must contain one of these: your front ends' origins, e.g.
   * `https://app.example.com` (Dynamic sets `aud` to the origin of the site that obtained the token).
   * Default: not checked.
   */
  audience?: string | readonly string[]
  /**
   * Accepted `iss` values, compared exactly. Default: `app.dynamicauth.com/<environmentId>` and
   * `app.dynamic.xyz/<environmentId>`: tokens have been seen with the first form and Dynamic's docs
   * show the second, so both are accepted; set this to pin one.
   */
  issuer?: string | readonly string[]
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
  /**
   * Where revoked sessions are kept. Default: in this process only. For a fleet, a shared store
   * such as `createRedisRevocationStore` of `dynamic-guard/redis`. Entries expire on their own
   * `maxTokenLifetime` (+ `clockTolerance`) after the newest token they can cover.
   */
  revocation?: RevocationStore
  /**
   * Where ids that may be used once are recorded: single-use elevated access tokens (see
   * `verifyElevatedToken` and `requireElevated`). Default: a new in-memory store for this verifier
   * (`createMemoryOneTimeStore` of `dynamic-guard/extend`). For a fleet, a shared store such as
   * `createRedisOneTimeStore` of `dynamic-guard/redis`, or a single-use token is accepted once per
   * instance. A store that fails refuses the request (503): it fails closed.
   */
  oneTimeStore?: OneTimeStore
  /**
   * OpenTelemetry metrics and traces (see the observability guide). Default: on, through the
   * providers registered with `@opentelemetry/api` (nothing is recorded when none is registered).
   * `false` turns both off; `{ metrics: false }` or `{ traces: false }` one of them;
   * `meterProvider`/`tracerProvider` give providers for apps that do not register globals.
   */
  telemetry?: TelemetrySetting
  /**
   * Where problems of this server's configuration are written, so that the operator sees them
   * and not only the refused client: a JWKS URL that answers 404, a static key that verifies no
   * signature, a loosened check. Each distinct problem once, then at most once per 10 minutes while
   * it lasts; never a token. Default `console`; `false` writes nothing.
   */
  logger?: DynamicAuthLogger | false
  /** How the environment's keys are fetched over the network (the default key source). See {@link JwksOptions}. */
  jwks?: JwksOptions
  /** Verify without any network: the environment's JWKS document or its public key. Not with `jwks.url`. See {@link StaticKeys}. */
  staticKeys?: StaticKeys
  /** Settings few applications change: the token cache, the longest token, the crypto backend, the clock. See {@link AdvancedOptions}. */
  advanced?: AdvancedOptions
}

/** The `jwks` option of {@link createDynamicAuth}: where the environment's keys are fetched from, and how. */
export interface JwksOptions {
  /**
   * Where the environment's keys are. Default: `https://app.dynamic.xyz/api/v0/sdk/<environmentId>/.well-known/jwks`.
   * Must be `https` (plain `http` only to a loopback host, or with `allowInsecureUrl`); redirects
   * are never followed. Set it when a custom hostname serves the JWKS. Not with `staticKeys`.
   */
  url?: string | URL
  /** How long fetched keys are fresh, in ms. They are refreshed in the background from 75 % of that age on. Default 600000 (10 min). */
  cacheMaxAge?: number
  /**
   * The least time between two JWKS fetches for kids never seen before, in ms; callers that meet
   * unknown kids meanwhile wait for the next fetch. Default 1000. Such fetches also share a budget
   * (4 at once, then one per 15 s), and a kid a fetch did not list is refused from memory, so
   * made-up kids cannot multiply requests. See the fleet guide's "Key rotation".
   */
  cooldown?: number
  /** Timeout of one JWKS request, body included, in ms. Default 5000. */
  timeout?: number
  /**
   * How long keys stay usable past their max age while the JWKS cannot be fetched, in ms. Default
   * 43200000 (12 h). A key removed from a JWKS that was fetched is dropped at once.
   */
  staleIfError?: number
  /** The longest wait between retries while no keys can be fetched, in ms (exponential from 1 s, or the server's `Retry-After`). Default 60000. */
  maxBackoff?: number
  /** Largest JWKS response read, in bytes. Default 65536. */
  maxBytes?: number
  /** Allows an `http:` `url` on a host other than loopback. Loosens security: logged loudly. Default false. */
  allowInsecureUrl?: boolean
  /** The fetch used for the JWKS (to add a proxy or an agent). Default: the global fetch. */
  fetch?: typeof globalThis.fetch
  /**
   * Builds the key store of the remote JWKS, e.g. `createRedisKeyStore` of `dynamic-guard/redis`
   * (one JWKS fetch for a whole fleet). Default: a JWKS cache of this process.
   */
  keyStore?: KeyStoreFactory
  /**
   * Receives key-store events, for logs and metrics: `jwks_refreshed` (the kids, and the rejected keys
   * and why), `jwks_error`, `jwks_stale`. Never contains a token.
   */
  onEvent?: (event: KeyStoreEvent) => void
}

/**
 * The `staticKeys` option of {@link createDynamicAuth}: verify without any network, with one of
 * `jwks` or `publicKey`. Every key is read and checked at start-up: a bad key is a
 * {@link DynamicAuthConfigError}.
 */
export type StaticKeys =
  | {
      /** The environment's JWKS document, as `{ keys: [...] }`. Every key needs a kid. */
      jwks: {
        /** The environment's public keys, as JWKs. Each is checked at start-up. */
        keys: readonly object[]
      }
      /** Not with `jwks`. */
      publicKey?: never
    }
  | {
      /**
       * The environment's RSA public key (from older dashboards), used whatever the token's kid. PEM
       * (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`) in any layout a paste or an environment
       * variable gives it (one line, `\n` escapes, CRLF, quotes), or the bare base64 body.
       */
      publicKey: string
      /** Not with `publicKey`. */
      jwks?: never
    }

/** The `advanced` option of {@link createDynamicAuth}: settings few applications change. */
export interface AdvancedOptions {
  /** How many verified tokens to remember; 0 turns the cache off. Default 1000. An entry never outlives its token's `exp` or the key that verified it. */
  tokenCacheSize?: number
  /** Longest accepted token, in characters, checked before any decoding. Default 16384. */
  maxTokenLength?: number
  /**
   * The crypto implementation. Default, per runtime through the package's export conditions:
   * node:crypto on Node and Bun, WebCrypto on Deno, Cloudflare Workers and edge runtimes. Pass
   * `webCryptoBackend` (from `dynamic-guard/extend`) to force WebCrypto.
   */
  signatureBackend?: SignatureBackend
  /** The current time in ms since the epoch. Default `Date.now`. For tests. */
  clock?: () => number
}

/**
 * Every top-level option name, checked against {@link DynamicAuthOptions} by the compiler: plain
 * JavaScript has no type check, so a misspelt option (`audiance`) is refused at start-up, not
 * silently ignored.
 */
export const OPTION_NAMES = [
  'environmentId',
  'audience',
  'issuer',
  'requiredScopes',
  'clockTolerance',
  'maxTokenLifetime',
  'revocation',
  'oneTimeStore',
  'telemetry',
  'logger',
  'jwks',
  'staticKeys',
  'advanced',
] as const satisfies ReadonlyArray<keyof DynamicAuthOptions>
// Fails to compile when an option is added to DynamicAuthOptions but not to OPTION_NAMES.
const everyOptionNamed: Exclude<keyof DynamicAuthOptions, (typeof OPTION_NAMES)[number]> extends never ? true : never =
  true
void everyOptionNamed

/** The option names of each group, checked against its type like {@link OPTION_NAMES}. */
const GROUP_NAMES = {
  jwks: [
    'url',
    'cacheMaxAge',
    'cooldown',
    'timeout',
    'staleIfError',
    'maxBackoff',
    'maxBytes',
    'allowInsecureUrl',
    'fetch',
    'keyStore',
    'onEvent',
  ],
  staticKeys: ['jwks', 'publicKey'],
  advanced: ['tokenCacheSize', 'maxTokenLength', 'signatureBackend', 'clock'],
} as const satisfies {
  jwks: ReadonlyArray<keyof JwksOptions>
  staticKeys: ReadonlyArray<'jwks' | 'publicKey'>
  advanced: ReadonlyArray<keyof AdvancedOptions>
}
const everyJwksNamed: Exclude<keyof JwksOptions, (typeof GROUP_NAMES.jwks)[number]> extends never ? true : never = true
const everyAdvancedNamed: Exclude<keyof AdvancedOptions, (typeof GROUP_NAMES.advanced)[number]> extends never
  ? true
  : never = true
void everyJwksNamed
void everyAdvancedNamed

/**
 * Where each option of the flat 0.x layout went, so that old code is told the new path rather
 * than "unknown option". (The old `jwks`, the static document, is told apart by its `keys`.)
 */
export const OPTION_MOVES: Readonly<Record<string, string>> = {
  jwksUrl: 'jwks.url',
  jwksCacheMaxAge: 'jwks.cacheMaxAge',
  jwksCooldown: 'jwks.cooldown',
  jwksTimeout: 'jwks.timeout',
  jwksStaleIfError: 'jwks.staleIfError',
  jwksMaxBackoff: 'jwks.maxBackoff',
  jwksMaxBytes: 'jwks.maxBytes',
  allowInsecureJwksUrl: 'jwks.allowInsecureUrl',
  fetch: 'jwks.fetch',
  keyStore: 'jwks.keyStore',
  onEvent: 'jwks.onEvent',
  publicKey: 'staticKeys.publicKey',
  tokenCacheSize: 'advanced.tokenCacheSize',
  maxTokenLength: 'advanced.maxTokenLength',
  signatureBackend: 'advanced.signatureBackend',
  clock: 'advanced.clock',
}

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
    | {
        readonly kind: 'jwks'
        readonly jwks: { keys: readonly object[] } /** Its keys, accepted at start-up. */
        readonly keys: readonly AcceptedJwk[]
      }
    | {
        readonly kind: 'pem'
        readonly pem: string /** The key read from `pem`, accepted at start-up. */
        readonly keys: readonly [AcceptedJwk]
      }
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
  readonly oneTimeStore: OneTimeStore
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
  if (typeof options !== 'object' || options === null)
    fail('createDynamicAuth needs an options object with environmentId.')
  const { environmentId: rawEnvironmentId } = options
  if (rawEnvironmentId === undefined || rawEnvironmentId === null || rawEnvironmentId === '') {
    fail(
      'environmentId is required: the id of your Dynamic environment (a UUID, in the dashboard under Developer → SDK & API Keys). Is DYNAMIC_ENVIRONMENT_ID set?',
    )
  }
  if (typeof rawEnvironmentId !== 'string' || !UUID.test(rawEnvironmentId.trim())) {
    fail(
      `environmentId must be a UUID like 2762a57b-faa4-41ce-9f16-abff9300e2c9; got ${JSON.stringify(String(rawEnvironmentId).slice(0, 60))}.`,
    )
  }
  const environmentId = rawEnvironmentId.trim().toLowerCase()
  checkOptionNames(options)
  const jwks: JwksOptions = options.jwks ?? {}
  const staticKeys = options.staticKeys as { jwks?: { keys: readonly object[] }; publicKey?: string } | undefined
  const advanced: AdvancedOptions = options.advanced ?? {}
  const logger = options.logger
  if (logger !== undefined && logger !== false && typeof (logger as { warn?: unknown } | null)?.warn !== 'function') {
    fail('logger must be an object with a warn(message) method (console, pino, winston...), or false.')
  }
  const clock = advanced.clock ?? Date.now
  const problems = new ProblemLog(logger === false ? undefined : (logger ?? console), clock)

  if (staticKeys !== undefined) {
    if (staticKeys.jwks !== undefined && staticKeys.publicKey !== undefined)
      fail('give only one of staticKeys.jwks and staticKeys.publicKey.')
    if (staticKeys.jwks === undefined && staticKeys.publicKey === undefined) {
      fail(
        'staticKeys needs one key source: { jwks: { keys: [...] } } (a JWKS document) or { publicKey: "-----BEGIN PUBLIC KEY-----..." }.',
      )
    }
    if (jwks.url !== undefined)
      fail(
        'give only one of jwks.url and staticKeys: jwks.url fetches the keys over the network, staticKeys gives them without network.',
      )
  }
  let keySource: ResolvedOptions['keySource']
  if (staticKeys?.jwks !== undefined) {
    const keys = (staticKeys.jwks as { keys?: unknown } | null)?.keys
    if (!Array.isArray(keys) || keys.length === 0)
      fail('staticKeys.jwks must be a JWKS document: { keys: [ ...at least one RSA key... ] }.')
    const kids = new Set<string>()
    const acceptedKeys: AcceptedJwk[] = []
    for (const key of keys) {
      const accepted = acceptJwk(key)
      if ('rejected' in accepted) fail(`a key of staticKeys.jwks ${accepted.rejected}.`)
      if (accepted.kid === undefined) fail('every key of staticKeys.jwks needs a kid.')
      // Two keys under one kid are ambiguous; say so now rather than refuse every token later.
      if (kids.has(accepted.kid)) fail(`staticKeys.jwks has two keys with kid ${JSON.stringify(accepted.kid)}.`)
      kids.add(accepted.kid)
      acceptedKeys.push(accepted)
    }
    keySource = { kind: 'jwks', jwks: staticKeys.jwks, keys: acceptedKeys }
  } else if (staticKeys?.publicKey !== undefined) {
    // Read in JavaScript, not by the runtime's crypto: the same text is the same key (or the same
    // refusal) on every runtime, and a bad key is refused here, at start-up.
    const accepted = acceptRsaPublicKey(staticKeys.publicKey, 'staticKeys.publicKey')
    if ('rejected' in accepted) fail(accepted.rejected)
    keySource = {
      kind: 'pem',
      pem: staticKeys.publicKey,
      keys: [{ kid: accepted.kid, jwk: accepted.jwk, modulusBytes: accepted.modulusBytes }],
    }
  } else {
    const raw = jwks.url ?? defaultJwksUrl(environmentId)
    let url: URL
    try {
      url = new URL(String(raw))
    } catch {
      fail(`jwks.url is not a URL: ${JSON.stringify(String(raw).slice(0, 200))}.`)
    }
    if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
      if (jwks.allowInsecureUrl !== true) {
        fail(
          `jwks.url must use https (got ${url.origin}); plain http lets anyone on the path swap the keys. Set jwks.allowInsecureUrl: true only for a trusted network.`,
        )
      }
      problems.report(
        'insecure-jwks-url',
        `SECURITY WARNING: fetching signing keys over plain http from ${url.origin} (jwks.allowInsecureUrl).`,
      )
    } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      fail(`jwks.url must be an https URL; got ${url.protocol}.`)
    }
    if (url.username || url.password) fail('jwks.url must not contain credentials.')
    keySource = { kind: 'remote', url: url.href }
  }

  const fetchImpl = jwks.fetch ?? globalThis.fetch
  if (keySource.kind === 'remote' && typeof fetchImpl !== 'function') fail('no fetch is available; pass jwks.fetch.')
  if (advanced.clock !== undefined && typeof advanced.clock !== 'function')
    fail('advanced.clock must be a function returning ms since the epoch.')
  if (jwks.onEvent !== undefined && typeof jwks.onEvent !== 'function') fail('jwks.onEvent must be a function.')
  if (
    advanced.signatureBackend !== undefined &&
    (typeof advanced.signatureBackend !== 'object' || advanced.signatureBackend === null)
  ) {
    fail('advanced.signatureBackend must be a signature backend, e.g. webCryptoBackend from dynamic-guard/extend.')
  }
  const revocation = options.revocation
  if (
    revocation !== undefined &&
    !(
      typeof revocation === 'object' &&
      revocation !== null &&
      typeof revocation.check === 'function' &&
      typeof revocation.add === 'function' &&
      typeof revocation.status === 'function'
    )
  ) {
    fail(
      'revocation must be a revocation store (check, add and status), e.g. createRedisRevocationStore from dynamic-guard/redis.',
    )
  }
  if (options.oneTimeStore !== undefined && !isOneTimeStore(options.oneTimeStore)) {
    fail(
      'oneTimeStore must be a one-time store (an object with a claim function), e.g. createRedisOneTimeStore from dynamic-guard/redis.',
    )
  }
  if (jwks.keyStore !== undefined) {
    if (typeof jwks.keyStore !== 'function')
      fail('jwks.keyStore must be a key store factory, e.g. createRedisKeyStore({ client }) from dynamic-guard/redis.')
    if (keySource.kind !== 'remote') fail('jwks.keyStore shares a remote JWKS; it cannot be combined with staticKeys.')
  }

  const extraScopes = stringList('requiredScopes', options.requiredScopes) ?? []
  for (const scope of extraScopes)
    if (/\s/.test(scope)) fail(`requiredScopes holds "${scope}", which contains whitespace; give one scope per entry.`)

  return {
    environmentId,
    keySource,
    issuers: stringList('issuer', options.issuer) ?? defaultIssuers(environmentId),
    audiences: stringList('audience', options.audience),
    requiredScopes: [USER_BASIC, ...extraScopes.filter((s) => s !== USER_BASIC)],
    clockTolerance: number('clockTolerance', options.clockTolerance, 5, 0, 300),
    maxTokenLifetime: number('maxTokenLifetime', options.maxTokenLifetime, 30 * 24 * 3600, 1, 366 * 24 * 3600),
    maxTokenLength: number('advanced.maxTokenLength', advanced.maxTokenLength, 16384, 256, 1 << 20),
    tokenCacheSize: Math.floor(number('advanced.tokenCacheSize', advanced.tokenCacheSize, 1000, 0, 10_000_000)),
    jwksCacheMaxAge: number('jwks.cacheMaxAge', jwks.cacheMaxAge, 600_000, 10, 7 * 24 * 3600_000),
    jwksCooldown: number('jwks.cooldown', jwks.cooldown, 1000, 0, 3600_000),
    jwksTimeout: number('jwks.timeout', jwks.timeout, 5000, 1, 120_000),
    jwksStaleIfError: number('jwks.staleIfError', jwks.staleIfError, 12 * 3600_000, 0, 30 * 24 * 3600_000),
    jwksMaxBackoff: number('jwks.maxBackoff', jwks.maxBackoff, 60_000, 0, 3600_000),
    jwksMaxBytes: number('jwks.maxBytes', jwks.maxBytes, 65536, 1024, 16 << 20),
    fetch: fetchImpl,
    clock,
    onEvent: jwks.onEvent,
    revocation: revocation ?? createMemoryRevocationStore({ clock }),
    oneTimeStore: options.oneTimeStore ?? createMemoryOneTimeStore({ clock }),
    keyStore: jwks.keyStore,
    problems,
  }
}

/**
 * Key options that may come from an environment variable: present but `undefined` is a mistake
 * (leaving them out means fetching from Dynamic, which is not what was meant).
 */
const KEY_OPTIONS = [
  ['jwks', 'url'],
  ['staticKeys', 'jwks'],
  ['staticKeys', 'publicKey'],
] as const

const has = (object: object, name: string): boolean => Object.hasOwn(object, name)

function unknownOption(path: string, suggestion: string | undefined): never {
  fail(
    `unknown option ${JSON.stringify(path.slice(0, 80))}${suggestion ? `; did you mean ${suggestion}?` : '.'} The options are listed in DynamicAuthOptions (the API reference).`,
  )
}

/**
 * The top-level name `name` is not an option: the message for it. An option of the flat 0.x
 * layout is told where it moved; a misspelling gets the closest name, old names leading to their
 * new path.
 */
export function unknownTopLevelMessage(name: string): string {
  const moved = OPTION_MOVES[name]
  if (moved !== undefined) {
    const [group, key] = moved.split('.') as [string, string]
    return `dynamic-guard: ${name} moved to ${moved}: write { ${group}: { ${key}: ... } }.`
  }
  const suggestion = closestName(name, [...OPTION_NAMES, ...Object.keys(OPTION_MOVES)])
  const path = suggestion === undefined ? undefined : (OPTION_MOVES[suggestion] ?? suggestion)
  return `dynamic-guard: unknown option ${JSON.stringify(name.slice(0, 64))}${path ? `; did you mean ${path}?` : '.'} The options are listed in DynamicAuthOptions (the API reference).`
}

function checkGroup(group: keyof typeof GROUP_NAMES, value: unknown): void {
  if (value === undefined) return
  // A plain object only: a URL or a class instance would have no own settings, and be ignored silently.
  const proto = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined
  if (typeof value !== 'object' || value === null || (proto !== Object.prototype && proto !== null)) {
    fail(
      group === 'staticKeys'
        ? 'staticKeys must be an object: { jwks: { keys: [...] } } or { publicKey: "..." }.'
        : `${group} must be an object of settings, e.g. ${group === 'jwks' ? '{ url, cooldown } (a URL goes in jwks.url)' : '{ tokenCacheSize }'}.`,
    )
  }
  const known: readonly string[] = GROUP_NAMES[group]
  for (const name of Object.keys(value)) {
    if (known.includes(name)) continue
    // The old `jwks` option was the JWKS document itself; `jwks` is now the group of remote settings.
    if (group === 'jwks' && name === 'keys') {
      fail(
        'the JWKS document moved from the jwks option to staticKeys: write { staticKeys: { jwks: { keys: [...] } } }. The jwks option now holds the settings of a remote JWKS (jwks.url, jwks.cooldown, ...).',
      )
    }
    // A name of another group (`jwks.clock`) is pointed to where it is.
    const elsewhere = (Object.keys(GROUP_NAMES) as (keyof typeof GROUP_NAMES)[]).find((other) =>
      (GROUP_NAMES[other] as readonly string[]).includes(name),
    )
    const suggestion = elsewhere !== undefined ? `${elsewhere}.${name}` : closestName(name, known)
    unknownOption(
      `${group}.${name}`,
      suggestion === undefined ? undefined : suggestion.includes('.') ? suggestion : `${group}.${suggestion}`,
    )
  }
}

function checkOptionNames(options: object): void {
  const known: readonly string[] = OPTION_NAMES
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw new DynamicAuthConfigError(unknownTopLevelMessage(name))
  }
  const record = options as Record<string, unknown>
  checkGroup('jwks', record.jwks)
  checkGroup('staticKeys', record.staticKeys)
  checkGroup('advanced', record.advanced)
  for (const [group, name] of KEY_OPTIONS) {
    const value = record[group]
    if (
      typeof value === 'object' &&
      value !== null &&
      has(value, name) &&
      (value as Record<string, unknown>)[name] === undefined
    ) {
      fail(
        `${group}.${name} is given but undefined (an environment variable that is not set?). Leaving it out means fetching the keys from Dynamic's JWKS over the network: remove the option for that, or set it.`,
      )
    }
  }
}
