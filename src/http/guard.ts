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
 * `requireScopes()` helpers decide the same way, following the guard that ran before them on the
 * same request: the adapter stores that guard's {@link GuardSettings} on the framework's own
 * request object (when they differ from the defaults), and hands them to {@link scopeDecision}.
 */
import { isDynamicAuthError, type DynamicAuthError } from '../errors.js'
import type { DynamicSession } from '../session/session.js'
import { authenticateRequest } from './authenticate.js'
import { dressRefusal, type RefusedError } from './dress.js'
import { DEFAULT_REALM, type RefusalHandling } from './options.js'
import { refusalFor, type HttpAnswer } from './refusal.js'
import { isPreflight, type RequestReader } from './request.js'
import { scopeRefusal } from './scopes.js'
import type { AdapterSetup } from './setup.js'

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

const GO_ON: GuardDecision = Object.freeze({ action: 'continue', session: undefined })
const ANSWER_PREFLIGHT: GuardDecision = Object.freeze({ action: 'answer', answer: PREFLIGHT_ANSWER, error: undefined })

/**
 * How the guard that ran on a request answers: what a `requireScopes()` after it follows. An
 * adapter stores it on the framework's request (`req.authGuard`, `ctx.state.authGuard`, ...).
 */
export interface GuardSettings {
  /** Answer refusals (`respond`) or hand them to the framework (`forward`). */
  readonly refusals: RefusalHandling
  /** Preflight-shaped requests go on unauthenticated instead of being answered 204. */
  readonly passPreflights: boolean
  /** The challenge realm. */
  readonly realm: string
}

/**
 * The settings an adapter stores on each request its guard decides, for the `requireScopes()`
 * after it: undefined when they are the defaults, which the helpers assume without a guard, so
 * most apps store nothing per request.
 */
export function guardSettings(setup: AdapterSetup): GuardSettings | undefined {
  const options = setup.options
  return options.refusals !== 'respond' || options.passPreflights || options.realm !== DEFAULT_REALM
    ? options
    : undefined
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
  guard: GuardSettings | undefined,
): GuardDecision {
  if (isPreflight(reader, request)) return guard?.passPreflights ? GO_ON : ANSWER_PREFLIGHT
  const refusal = scopeRefusal(session, required)
  if (refusal === undefined) return GO_ON
  return refusalDecision(refusal, guard?.refusals ?? 'respond', guard?.realm ?? DEFAULT_REALM, [
    'user:basic',
    ...required,
  ])
}

function refusalDecision(
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
