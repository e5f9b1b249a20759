/**
 * The one mapping from a refusal to an HTTP answer, used by every adapter (RFC 6750 §3):
 *
 * | code                 | status | WWW-Authenticate                                         |
 * |----------------------|--------|----------------------------------------------------------|
 * | token_missing        | 401    | `Bearer realm="…"` (no error attribute)                  |
 * | invalid_request      | 400    | `Bearer realm="…", error="invalid_request", …`           |
 * | other 401 codes      | 401    | `Bearer realm="…", error="invalid_token", …`             |
 * | insufficient_scope   | 403    | `Bearer realm="…", error="insufficient_scope", scope="…"` |
 * | elevated_token_*     | 403    | the same: `scope` names what to step up for               |
 * | origin_not_allowed   | 403    | none (the token is fine; the request's origin is not)    |
 * | jwks_unavailable,    | 503    | none, and `Retry-After`: not the client's fault          |
 * | other 503 codes      |        |                                                          |
 *
 * The JSON body is `{ error, error_description, code }`, plus `pending_step` when a sign-in step is
 * pending and `required_scopes` for an elevated-token refusal: never the token, never a stack.
 */
import {
  ELEVATED_TOKEN_CODES,
  isDynamicAuthError,
  type DynamicAuthErrorCode,
  type DynamicPendingStep,
} from '../errors.js'
import { DEFAULT_REALM } from './options.js'

/** The JSON body of a refusal. */
export interface RefusalBody {
  /** The RFC 6750 error (`invalid_token`, `insufficient_scope`, `invalid_request`), or `unauthorized`, `forbidden`, `temporarily_unavailable`. */
  readonly error: string
  /** What went wrong, for a developer. Never contains the token. */
  readonly error_description: string
  /** The stable {@link DynamicAuthErrorCode}. */
  readonly code: DynamicAuthErrorCode
  /** For `insufficient_scope`: the sign-in step the user still owes, when known (see `DynamicAuthError.pendingStep`). */
  readonly pending_step?: DynamicPendingStep
  /**
   * For an elevated-token refusal (`elevated_token_*`): the scopes the route requires of the
   * elevated access token. The front end steps up for them (`checkStepUpAuth`, then
   * `getElevatedAccessToken`) and retries with `x-dyn-elevated-access-token`.
   */
  readonly required_scopes?: readonly string[]
}

/** A complete HTTP answer to a refused request. */
export interface Refusal {
  /** The HTTP status: 400, 401, 403 or 503. */
  readonly status: number
  /** Lower-case header names: `content-type`, `cache-control`, and `www-authenticate` / `retry-after` where they apply. */
  readonly headers: Readonly<Record<string, string>>
  /** The body: the error code and a message that says the fix. */
  readonly body: RefusalBody
  /** The body, serialised. */
  readonly json: string
}

/** Options of {@link refusalFor}. */
export interface RefusalOptions {
  /** The challenge realm. Default `api`. */
  realm?: string
  /** The scopes the resource requires, for the `scope` attribute of an insufficient_scope challenge. Default: the missing ones. */
  scopes?: readonly string[]
}

const DEFAULT_RETRY_AFTER = 5

/**
 * Builds the HTTP answer for a `DynamicAuthError`, and rethrows anything else (a bug is not
 * a refusal): `catch (error) { const refusal = refusalFor(error); ... }`. `new Response(refusal.json,
 * refusal)` makes it a Web Response.
 */
export function refusalFor(error: unknown, options: RefusalOptions = {}): Refusal {
  if (!isDynamicAuthError(error)) throw error
  const realm = options.realm ?? DEFAULT_REALM
  const code = error.code
  const description = error.message
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  }
  let status: number = typeof error.status === 'number' ? error.status : 401
  let kind: string
  // By status first, so that a code added later (a new 503 cause, say) still gets the right answer.
  if (code === 'token_missing') {
    status = 401
    kind = 'unauthorized'
    headers['www-authenticate'] = `Bearer realm="${realm}"`
  } else if (status === 400) {
    kind = 'invalid_request'
    headers['www-authenticate'] = challenge(realm, kind, description)
  } else if (code === 'insufficient_scope') {
    status = 403
    kind = 'insufficient_scope'
    const scopes = options.scopes ?? error.missingScopes ?? []
    headers['www-authenticate'] =
      challenge(realm, kind, description) + (scopes.length > 0 ? `, scope="${quoted(scopes.join(' '))}"` : '')
  } else if (ELEVATED_TOKEN_CODES.has(code)) {
    // The session token is fine; the request lacks a valid elevated token for these scopes.
    status = 403
    kind = 'insufficient_scope'
    const scopes = error.requiredScopes ?? []
    headers['www-authenticate'] =
      challenge(realm, kind, description) + (scopes.length > 0 ? `, scope="${quoted(scopes.join(' '))}"` : '')
  } else if (status === 403) {
    kind = 'forbidden'
  } else if (status === 503) {
    kind = 'temporarily_unavailable'
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter ?? DEFAULT_RETRY_AFTER)))
  } else {
    status = 401
    kind = 'invalid_token'
    headers['www-authenticate'] = challenge(realm, kind, description)
  }
  let body: RefusalBody =
    error.pendingStep === undefined
      ? { error: kind, error_description: description, code }
      : { error: kind, error_description: description, code, pending_step: error.pendingStep }
  if (error.requiredScopes !== undefined) body = { ...body, required_scopes: error.requiredScopes }
  return { status, headers, body, json: JSON.stringify(body) }
}

function challenge(realm: string, error: string, description: string): string {
  return `Bearer realm="${realm}", error="${error}", error_description="${quoted(description)}"`
}

/** RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E only. */
function quoted(text: string): string {
  let out = ''
  for (let i = 0; i < text.length && out.length < 300; i++) {
    const code = text.charCodeAt(i)
    if (code === 0x22) out += "'"
    else if (code >= 0x20 && code <= 0x7e && code !== 0x5c) out += text[i]
    else if (code === 0x5c) out += '/'
  }
  return out
}

/** An HTTP answer the library gives itself: a refusal, or the guard's empty 204 to a preflight. */
export interface HttpAnswer {
  readonly status: number
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  /** The JSON body, or undefined for none. */
  readonly json: string | undefined
}

/** What an answer is written on: Node's ServerResponse (node:http, Express, Koa's `ctx.res`). */
export interface NodeResponseLike {
  /** The status to send. */
  statusCode: number
  /** Sets one header. */
  setHeader(name: string, value: string): unknown
  /** Writes the body and ends the answer. */
  end(body?: string): unknown
}

/** Writes an answer (a {@link Refusal}, say) on a Node ServerResponse. */
export function writeAnswer(response: NodeResponseLike, answer: HttpAnswer): void {
  response.statusCode = answer.status
  for (const name in answer.headers) response.setHeader(name, answer.headers[name]!)
  response.end(answer.json)
}

/** An answer (a {@link Refusal}, say) as a Web-standard Response (Hono, Next, fetch handlers). */
export function answerResponse(answer: HttpAnswer): Response {
  return new Response(answer.json ?? null, { status: answer.status, headers: answer.headers })
}
