/**
 * Dynamic's admin API tokens (`dyn_…`) are credentials a server sends to Dynamic, never a user's
 * session. One that reaches a verifier was pasted in the wrong place: it gets its own refusal,
 * before any JWT parsing, so the developer is told what it is instead of "malformed JWT".
 */
import { DynamicAuthError } from '../errors.js'

/** The prefix of Dynamic's admin API tokens. A JWT starts with `eyJ`, so the two never collide. */
export const ADMIN_TOKEN_PREFIX = 'dyn_'

/** True when `token` is shaped like a Dynamic admin API token. */
export function isAdminApiToken(token: string): boolean {
  return token.startsWith(ADMIN_TOKEN_PREFIX)
}

/** The refusal of an admin API token. Never echoes it. */
export function adminTokenRefusal(): DynamicAuthError {
  return new DynamicAuthError(
    'admin_token_not_accepted',
    "This is a Dynamic admin API token (dyn_…): a credential your server sends to Dynamic, never a credential for your API. Send the user's Dynamic JWT (the session token from the client SDK) instead, keep admin tokens on the server, and rotate this one in the Dynamic dashboard if it has been exposed (sent from a browser, logged).",
  )
}
