/**
 * The options every adapter shares: where a token may come from, which origins may use a cookie
 * token for a state-changing request, optional mode, per-route scopes and the challenge realm.
 * Validated once, when the middleware is created, so a request never pays for it.
 */
import { DynamicAuthConfigError } from '../errors.js'
import { RecentTokens } from './recent-tokens.js'

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
}

/** The adapter options after validation. */
export interface ResolvedAuthenticateOptions {
  readonly optional: boolean
  /** Scopes of this route, or undefined when none (so the verifier's fast path stays untouched). */
  readonly verifyOptions: { readonly requiredScopes: readonly string[] } | undefined
  readonly cookieName: string | undefined
  readonly queryParam: string | undefined
  readonly allowedOrigins: ReadonlySet<string> | ((origin: string) => boolean) | undefined
  readonly realm: string
  /** Recently seen tokens, so a repeated token reaches the cache without being hashed again. */
  readonly recent: RecentTokens
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
  console.warn(`dynamic-guard: SECURITY WARNING: tokens are accepted from the "${name}" query parameter (queryParam); URLs are logged and kept in histories.`)
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
  const { optional = false, cookieName = DEFAULT_COOKIE_NAME, queryParam = false, realm = DEFAULT_REALM } = options
  if (typeof optional !== 'boolean') fail('"optional" must be a boolean.')
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
      if (!normalized) fail(`"allowedOrigins" holds ${JSON.stringify(origin)}, which is not an http(s) origin such as https://app.example.com.`)
      set.add(normalized)
    }
    allowedOrigins = set
  }
  return Object.freeze({
    optional,
    verifyOptions: scopes && scopes.length > 0 ? Object.freeze({ requiredScopes: Object.freeze(scopes) }) : undefined,
    cookieName: cookieName === false ? undefined : cookieName,
    queryParam: queryParam === false ? undefined : queryParam,
    allowedOrigins,
    realm,
    recent: new RecentTokens(),
  })
}
