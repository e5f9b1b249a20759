/**
 * The options every adapter shares: where a token may come from, which origins may use a cookie
 * token for a state-changing request, optional mode, per-route scopes and the challenge realm.
 * Validated once, when the middleware is created, so a request never pays for it.
 */
import { DynamicAuthConfigError } from '../errors.js'
import { resolveLimits, type ActorSetting, type SessionLimits } from '../session/limits.js'

/** Options shared by every adapter and by `auth.authenticate(request, options)`. */
export interface AuthenticateOptions {
  /**
   * Let requests without any token through (the handler sees no session). A token that is present
   * but invalid is still refused, as is a cross-site cookie token: a broken or stolen credential
   * never silently turns into an anonymous request. Default `false`.
   */
  optional?: boolean
  /** Scopes this route requires on top of `user:basic` and the verifier's `requiredScopes`. */
  requiredScopes?: string | readonly string[]
  /**
   * Which sessions this route accepts: `'user'` (users' sessions only), `'agent'` (agents'
   * server-side sessions only: tokens whose `server_auth` claim is `true`) or `'any'` (both).
   * Default `'any'`, as before this option existed. Another is refused with 403
   * `actor_not_allowed`. The session says which it is in `session.actor`.
   */
  actor?: ActorSetting
  /**
   * The environments this route accepts, by id or by the name given in
   * `createDynamicAuth({ environments: [{ id, name }] })`, e.g. `['live']`. A token of another
   * environment of the verifier is refused with 403 `environment_not_allowed`. Default: every
   * environment of the verifier. Names that are not the verifier's are refused at start-up.
   */
  allowedEnvironments?: string | readonly string[]
  /** The cookie holding Dynamic's minified JWT. Default `DYNAMIC_JWT_TOKEN`; `false` ignores cookies. */
  cookieName?: string | false
  /**
   * A query parameter that may carry the token (for EventSource or WebSocket upgrades, say).
   * Off by default: URLs end up in logs and histories. Giving it loosens security.
   */
  queryParam?: string | false
  /**
   * Origins allowed to send a state-changing request (any method but GET, HEAD and OPTIONS) that
   * authenticates with the cookie: exact origins such as `https://app.example.com`, or a function.
   * Default: the token's own `aud` (the site Dynamic issued it to). The request's own host is
   * always allowed. Header and query tokens are not subject to this check.
   */
  allowedOrigins?: readonly string[] | ((origin: string) => boolean)
  /** The `realm` of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string
  /**
   * What an adapter does with a refused request.
   *
   * - `'respond'` (default): the adapter answers it itself, per RFC 6750: the status, the
   *   `WWW-Authenticate` challenge (and `Retry-After` for a 503), `Cache-Control: no-store` and the
   *   JSON body `{ error, error_description, code }`. Nothing else needs to be mounted.
   * - `'forward'`: the refusal is handed to the framework's own error handling as the
   *   `DynamicAuthError` itself, carrying `status`, `statusCode`, `expose` and `headers`:
   *   Express `next(err)`, Koa's throw (upstream try/catch, `app.on('error')`), Fastify's error
   *   handler (`setErrorHandler`), Hono's `app.onError` (a `DynamicAuthException`); the fetch and
   *   Next helpers and `protectNodeHandler` throw it (their returned promise rejects).
   *
   * `requireScopes()` follows the choice of the `dynamicAuth` that ran before it.
   * `auth.authenticate(request)` always rejects with the error and ignores this option.
   */
  refusals?: RefusalHandling
  /**
   * Let requests shaped like a CORS preflight (`OPTIONS` with `Origin` and
   * `Access-Control-Request-Method`) go on to what comes after the guard, unauthenticated and
   * without a session. Default `false`: the guard answers such a request itself with an empty
   * 204 (no CORS headers), and no handler of the app runs.
   *
   * **Risk**: anyone can send a request shaped like a preflight. With this option on, every
   * handler mounted for all methods after the guard (`app.all`, Koa's and Hono's `use`, a
   * catch-all route, a Next route exporting `OPTIONS`, the wrapped fetch handler itself) runs
   * for it with no session. Prefer mounting your CORS middleware before the guard, where it
   * answers preflights before the guard sees them. `auth.authenticate(request)` ignores this
   * option: it authenticates every request it is given.
   */
  passPreflightsToApp?: boolean
}

/** How an adapter hands on a refused request: see {@link AuthenticateOptions.refusals}. */
export type RefusalHandling = 'respond' | 'forward'

/** Adapter options with which a protected handler may run without a session (`optional`, or `passPreflightsToApp`). */
export type AnonymousAllowed =
  | {
      /** Anonymous requests pass. */
      optional: true
    }
  | {
      /** CORS preflights pass, anonymous. */
      passPreflightsToApp: true
    }

/** The adapter options after validation. */
export interface ResolvedAuthenticateOptions {
  readonly optional: boolean
  /** Scopes of this route, or undefined when none (so the verifier's fast path stays untouched). */
  readonly verifyOptions: { readonly requiredScopes: readonly string[] } | undefined
  /** The route's actor and environment restrictions, checked on the session; undefined when none. */
  readonly limits: SessionLimits | undefined
  readonly cookieName: string | undefined
  readonly queryParam: string | undefined
  readonly allowedOrigins: ReadonlySet<string> | ((origin: string) => boolean) | undefined
  readonly realm: string
  /** Answer refusals (`respond`) or hand them to the framework (`forward`). */
  readonly refusals: RefusalHandling
  /** Let preflight-shaped requests go on unauthenticated instead of answering them 204. */
  readonly passPreflights: boolean
}

export const DEFAULT_COOKIE_NAME = 'DYNAMIC_JWT_TOKEN'
export const DEFAULT_REALM = 'api'

/** The option names that belong to the adapters (the rest go to createDynamicAuth). */
export const AUTHENTICATE_OPTION_NAMES: ReadonlySet<string> = new Set([
  'optional',
  'requiredScopes',
  'cookieName',
  'queryParam',
  'allowedOrigins',
  'realm',
  'refusals',
  'passPreflightsToApp',
  'actor',
  'allowedEnvironments',
])

// RFC 6265 cookie-name is an RFC 7230 token.
const TOKEN_CHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// A query parameter name we can match literally.
const PARAM_CHARS = /^[A-Za-z0-9_\-.~]+$/
// The realm goes into a quoted-string: printable ASCII without `"` and `\`.
const REALM_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

function fail(message: string): never {
  throw new DynamicAuthConfigError(`dynamic-guard: ${message}`)
}

let warnedQuery = false
function warnQueryTokensOnce(name: string): void {
  if (warnedQuery) return
  warnedQuery = true
  console.warn(
    `dynamic-guard: SECURITY WARNING: tokens are accepted from the "${name}" query parameter (queryParam); URLs are logged and kept in histories.`,
  )
}

let warnedPreflights = false
function warnPreflightsOnce(): void {
  if (warnedPreflights) return
  warnedPreflights = true
  console.warn(
    'dynamic-guard: SECURITY WARNING: requests shaped like a CORS preflight go on to the app unauthenticated (passPreflightsToApp); a handler mounted for all methods after the guard runs for them with no session.',
  )
}

/** Normalises an origin (`https://App.example.com:443` → `https://app.example.com`). */
export function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    return url.origin
  } catch {
    return undefined
  }
}

/** Validates adapter options; throws {@link DynamicAuthConfigError} for a bad one. */
export function resolveAuthenticateOptions(options: AuthenticateOptions = {}): ResolvedAuthenticateOptions {
  if (options === null || typeof options !== 'object') fail('the adapter options must be an object.')
  const {
    optional = false,
    cookieName = DEFAULT_COOKIE_NAME,
    queryParam = false,
    realm = DEFAULT_REALM,
    refusals = 'respond',
    passPreflightsToApp = false,
  } = options
  if (typeof optional !== 'boolean') fail('"optional" must be a boolean.')
  if (refusals !== 'respond' && refusals !== 'forward')
    fail(
      "\"refusals\" must be 'respond' (answer refusals per RFC 6750) or 'forward' (hand them to the framework's error handling).",
    )
  if (typeof passPreflightsToApp !== 'boolean') fail('"passPreflightsToApp" must be a boolean.')
  if (cookieName !== false && (typeof cookieName !== 'string' || !TOKEN_CHARS.test(cookieName))) {
    fail('"cookieName" must be a cookie name (letters, digits and !#$%&\'*+-.^_`|~) or false.')
  }
  if (queryParam !== false && (typeof queryParam !== 'string' || !PARAM_CHARS.test(queryParam))) {
    fail('"queryParam" must be a parameter name (letters, digits, _-.~) or false.')
  }
  if (typeof realm !== 'string' || !REALM_CHARS.test(realm) || realm.length > 200) {
    fail('"realm" must be printable ASCII without quotes or backslashes.')
  }
  if (queryParam !== false) warnQueryTokensOnce(queryParam)
  if (passPreflightsToApp) warnPreflightsOnce()
  let scopes: string[] | undefined
  const required = options.requiredScopes
  if (required !== undefined) {
    const list = typeof required === 'string' ? [required] : required
    if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s.length === 0 || /\s/.test(s))) {
      fail('"requiredScopes" must be a scope or a list of scopes, one word each.')
    }
    scopes = [...new Set(list as string[])]
  }
  let allowedOrigins: ResolvedAuthenticateOptions['allowedOrigins']
  const origins = options.allowedOrigins
  if (typeof origins === 'function') allowedOrigins = origins
  else if (origins !== undefined) {
    if (!Array.isArray(origins)) fail('"allowedOrigins" must be a list of origins or a function.')
    const set = new Set<string>()
    for (const origin of origins) {
      const normalized = typeof origin === 'string' && origin !== '*' ? normalizeOrigin(origin) : undefined
      if (!normalized)
        fail(
          `"allowedOrigins" holds ${JSON.stringify(origin)}, which is not an http(s) origin such as https://app.example.com.`,
        )
      set.add(normalized)
    }
    allowedOrigins = set
  }
  const limits = resolveLimits(options.actor, options.allowedEnvironments)
  return Object.freeze({
    optional,
    verifyOptions: scopes && scopes.length > 0 ? Object.freeze({ requiredScopes: Object.freeze(scopes) }) : undefined,
    limits,
    cookieName: cookieName === false ? undefined : cookieName,
    queryParam: queryParam === false ? undefined : queryParam,
    allowedOrigins,
    realm,
    refusals,
    passPreflights: passPreflightsToApp,
  })
}
