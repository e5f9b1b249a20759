/**
 * The one decision every adapter makes about a request before the app's handlers run, which the
 * adapters only carry out in their framework's idiom:
 *
 * 1. A request shaped like a CORS preflight is answered here with an empty 204 (no CORS headers),
 *    so no handler of the app runs for it; with `passPreflightsToApp` it goes on, without a session.
 * 2. Any other request is authenticated: it goes on with its session (or none, in optional mode),
 *    or its refusal is answered per RFC 6750 (`refusals: 'respond'`, the default) or handed to the
 *    framework's error handling, dressed (`refusals: 'forward'`).
 *
 * `requireScopes()` and `requireElevated()` helpers decide the same way, following the guard that
 * ran before them on the same request: the adapter stores that guard's {@link GuardSettings} (one
 * frozen object per guard, carrying its verifier) on the framework's own request object, and hands
 * them to {@link scopeDecision} or the elevated decision.
 */
import { DynamicAuthError, isDynamicAuthError } from '../errors.js'
import type { DynamicSession } from '../session/session.js'
import { authenticateRequest } from './authenticate.js'
import { dressRefusal, type RefusedError } from './dress.js'
import { DEFAULT_REALM, type RefusalHandling } from './options.js'
import { refusalFor, type HttpAnswer } from './refusal.js'
import { isPreflight, type RequestReader } from './request.js'
import { scopeRefusal } from './scopes.js'
import type { AdapterSetup } from './setup.js'
import type { DynamicAuth } from '../verifier.js'

export { answerResponse, writeAnswer, type HttpAnswer, type NodeResponseLike } from './refusal.js'

/** What the adapter does with the request. */
export type GuardDecision =
  /** Go on to the app's handlers, with the session (undefined: anonymous, or a preflight passed on). */
  | { readonly action: 'continue'; readonly session: DynamicSession | undefined }
  /** Answer with `answer`; `error` is the refusal, or undefined for a preflight. */
  | { readonly action: 'answer'; readonly answer: HttpAnswer; readonly error: DynamicAuthError | undefined }
  /** Hand the dressed refusal to the framework's error handling. */
  | { readonly action: 'forward'; readonly error: RefusedError }

/** The guard's answer to a preflight-shaped request: 204, no body, no CORS headers. */
export const PREFLIGHT_ANSWER: HttpAnswer = Object.freeze({ status: 204, headers: Object.freeze({}), json: undefined })

export const GO_ON: GuardDecision = Object.freeze({ action: 'continue', session: undefined })
export const ANSWER_PREFLIGHT: GuardDecision = Object.freeze({
  action: 'answer',
  answer: PREFLIGHT_ANSWER,
  error: undefined,
})

/**
 * How the guard that ran on a request answers, and with which verifier: what a `requireScopes()`
 * or `requireElevated()` after it follows. An adapter stores it on the framework's request
 * (`req.authGuard`, `ctx.state.authGuard`, ...).
 */
export interface GuardSettings {
  /** Answer refusals (`respond`) or hand them to the framework (`forward`). */
  readonly refusals: RefusalHandling
  /** Preflight-shaped requests go on unauthenticated instead of being answered 204. */
  readonly passPreflights: boolean
  /** The challenge realm. */
  readonly realm: string
  /** The guard's verifier: per-route helpers after it verify with it (and its one-time store). */
  readonly auth: DynamicAuth
}

/**
 * The settings an adapter stores on each request its guard decides, for the helpers after it:
 * made once per guard (frozen), so storing them costs one property assignment per request.
 */
export function guardSettings(setup: AdapterSetup): GuardSettings {
  const options = setup.options
  return Object.freeze({
    refusals: options.refusals,
    passPreflights: options.passPreflights,
    realm: options.realm,
    auth: setup.auth,
  })
}

/** Decides for one request. Rejects only with an error that is not a DynamicAuthError (a bug). */
export function guardRequest<R extends object>(
  setup: AdapterSetup,
  request: R,
  reader: RequestReader<R>,
): Promise<GuardDecision> {
  const options = setup.options
  if (isPreflight(reader, request)) return Promise.resolve(options.passPreflights ? GO_ON : ANSWER_PREFLIGHT)
  return authenticateRequest(setup.auth, request, reader, options, setup.recent).then(
    (session): GuardDecision => (session === undefined ? GO_ON : { action: 'continue', session }),
    (error: unknown) => refusalDecision(error, options.refusals, options.realm, setup.scopes),
  )
}

/**
 * Decides for a `requireScopes(...)` helper, given the session and the {@link GuardSettings} the
 * guard stored on the request. It follows that guard's `refusals`, `passPreflightsToApp` and
 * `realm`; without settings (no guard before it, or a guard with the defaults), the defaults.
 */
export function scopeDecision<R extends object>(
  request: R,
  reader: RequestReader<R>,
  session: DynamicSession | undefined,
  required: readonly string[],
  guard: Omit<GuardSettings, 'auth'> | undefined,
): GuardDecision {
  if (isPreflight(reader, request)) return guard?.passPreflights ? GO_ON : ANSWER_PREFLIGHT
  const refusal = scopeRefusal(session, required)
  if (refusal === undefined) return GO_ON
  return refusalDecision(refusal, guard?.refusals ?? 'respond', guard?.realm ?? DEFAULT_REALM, [
    'user:basic',
    ...required,
  ])
}

/**
 * The answer of a per-route helper (`requireElevated()`, a session-key proof) that found no guard
 * before it on the request: a clean 401 saying to mount the guard first, never a crash. `guard`
 * names the adapter's guard (`dynamicAuth()`, `app.dynamicAuth`).
 */
export function noGuardDecision(helper: string, guard: string): GuardDecision {
  const error = new DynamicAuthError(
    'token_missing',
    `${helper} found no verified session on this request: mount ${guard} before it on this route (it verifies the Dynamic JWT first).`,
  )
  return { action: 'answer', answer: refusalFor(error, { realm: DEFAULT_REALM }), error }
}

export function refusalDecision(
  error: unknown,
  handling: RefusalHandling,
  realm: string,
  scopes: readonly string[],
): GuardDecision {
  if (!isDynamicAuthError(error)) throw error
  const refusal = refusalFor(error, { realm, scopes })
  return handling === 'forward'
    ? { action: 'forward', error: dressRefusal(error, refusal) }
    : { action: 'answer', answer: refusal, error }
}
