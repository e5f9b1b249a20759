/**
 * Refusals made before a token reaches `verifyToken` (no token, a token sent twice, a cross-site
 * cookie request) are made by the HTTP layer, which only holds the verifier. A verifier with
 * telemetry on carries a hook under this symbol; `requestRefused` calls it when present.
 */

/** The hook's key on a verifier. */
export const REQUEST_REFUSED: unique symbol = Symbol('dynamic-guard.requestRefused')

/** Something that may carry the hook. */
export interface MayObserveRefusals {
  [REQUEST_REFUSED]?: (error: unknown) => void
}

/** Reports a refusal of the HTTP layer to the verifier's telemetry, if it has any. */
export function requestRefused(auth: object, error: unknown): void {
  const hook = (auth as MayObserveRefusals)[REQUEST_REFUSED]
  if (hook !== undefined) hook(error)
}
