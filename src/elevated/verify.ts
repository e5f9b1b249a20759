/**
 * Verifies an elevated access token for a request whose session token is already verified:
 *
 *   parse → RS256 → key (the environment's) → signature → exp/nbf/iat, iss, environment_id, aud,
 *   sub → revocation of its session → tied to the session (same `sub`, same session id)
 *   → every required scope → single use: claimed in the one-time store until it expires
 *
 * Like a session token but without `user:basic`, which an elevated token never carries (it
 * authorises an action, not a session); for the same reason the session verifier's cache never
 * holds one. Time-bound tokens are remembered in a cache of their own; single-use tokens are
 * verified in full each time, and the claim always runs.
 */
import { DynamicAuthError, isDynamicAuthError, type DynamicAuthErrorCode } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import { parseCompactJws, type ParsedToken } from '../parse/compact-jws.js'
import type { KeyEntry, KeyStore } from '../keys/key-store.js'
import type { SignatureBackend } from '../signature/backend.js'
import { checkTimes } from '../claims/time.js'
import { checkIssuerAndEnvironment } from '../claims/issuer.js'
import { checkAudience } from '../claims/audience.js'
import { readScopes } from '../claims/scopes.js'
import type { DynamicSession } from '../session/session.js'
import type { RevocationStore } from '../revocation/store.js'
import type { OneTimeStore } from '../one-time/store.js'
import {
  ELEVATED_TOKEN_HEADER,
  elevatedScopeList,
  type ElevatedGrant,
  type ElevatedTokenClaims,
  type ElevatedTokenOptions,
} from './grant.js'

/** What the verifier lends the elevated check: its keys, crypto, stores and refusal wording. */
export interface ElevatedContext {
  readonly config: ResolvedOptions
  readonly keys: KeyStore
  readonly backend: SignatureBackend
  readonly revocation: RevocationStore
  readonly oneTimeStore: OneTimeStore
  /** The verifier's refusal for a signature that does not verify (its wording depends on the key source). */
  signatureInvalid(): DynamicAuthError
  /** The verifier's `key_not_found` hint naming another environment. */
  withEnvironmentHint(error: unknown, payload: Record<string, unknown>): unknown
}

interface CachedGrant {
  readonly grant: ElevatedGrant
  readonly exp: number
  readonly key: KeyEntry
}

/** Refusals of the keys or stores, not of the token: passed on as they are (503s, a revoked session). */
const PASSED_ON: ReadonlySet<DynamicAuthErrorCode> = new Set<DynamicAuthErrorCode>([
  'jwks_unavailable',
  'key_unusable',
  'revocation_unavailable',
  'session_revoked',
])

const RS256 = 'RS256'
/** Time-bound tokens remembered at most: each lives 10 minutes, and there is one per user action. */
const MAX_CACHED = 1000

/** The elevated-token check of one verifier. */
export class ElevatedTokens {
  private readonly cache = new Map<string, CachedGrant>()
  private readonly maxCached: number

  constructor(private readonly context: ElevatedContext) {
    this.maxCached = Math.min(context.config.tokenCacheSize, MAX_CACHED)
  }

  async verify(token: unknown, session: DynamicSession, options: ElevatedTokenOptions): Promise<ElevatedGrant> {
    const required = elevatedScopeList((options as Partial<ElevatedTokenOptions> | undefined)?.scopes)
    if (typeof session !== 'object' || session === null || typeof session.userId !== 'string') {
      throw new TypeError("dynamic-guard: verifyElevatedToken needs the request's verified session (from verifyToken).")
    }
    if (typeof token !== 'string' || token.length === 0) throw missing(required)
    let grant: ElevatedGrant
    try {
      grant = await this.verified(token)
      const revoked = this.context.revocation.check(grant.claims)
      if (revoked === 'revoked') {
        throw new DynamicAuthError(
          'session_revoked',
          'The session of this elevated access token was revoked (signed out, or revoked by an admin); the user must sign in again.',
        )
      }
      if (revoked === 'unavailable') {
        throw new DynamicAuthError(
          'revocation_unavailable',
          'The shared revocation list is unreachable and the store is set to refuse meanwhile; retry later, and check that Redis is reachable and answering.',
          { retryAfter: 5 },
        )
      }
    } catch (error) {
      throw asElevatedRefusal(error, required)
    }
    checkLink(grant.claims, session, required)
    const lacking = required.filter((scope) => !grant.scopes.includes(scope))
    if (lacking.length > 0) {
      throw new DynamicAuthError(
        'elevated_token_missing',
        `The elevated access token lacks the scope${lacking.length > 1 ? 's' : ''} ${lacking.map((s) => `"${s}"`).join(', ')} this action requires (it grants ${grant.scopes.map((s) => `"${s}"`).join(', ') || 'none'}). Step up for ${required.join(' ')} (checkStepUpAuth, then getElevatedAccessToken) and send that token in ${ELEVATED_TOKEN_HEADER}.`,
        { requiredScopes: required },
      )
    }
    if (grant.singleUse) await this.consume(token, grant, required)
    return grant
  }

  /** The token's grant: from the cache (time-bound tokens), or verified now. */
  private verified(token: string): ElevatedGrant | Promise<ElevatedGrant> {
    const { config, keys } = this.context
    const hit = this.cache.get(token)
    if (hit !== undefined) {
      const now = config.clock()
      if (now / 1000 < hit.exp + config.clockTolerance && keys.isCurrent(hit.key, now)) return hit.grant
      this.cache.delete(token)
    }
    const parsed = parseCompactJws(token, config.maxTokenLength)
    const { alg, kid } = parsed.header
    if (alg !== RS256) {
      throw new DynamicAuthError(
        'algorithm_not_allowed',
        'The token is not signed with RS256; Dynamic signs with RS256 and nothing else is accepted.',
      )
    }
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) {
      throw new DynamicAuthError('token_malformed', 'The token header\'s "kid" is not a string of 1 to 256 characters.')
    }
    let entry: KeyEntry | Promise<KeyEntry>
    try {
      entry = keys.getKey(kid, parsed.payload)
    } catch (error) {
      throw this.context.withEnvironmentHint(error, parsed.payload)
    }
    if (entry instanceof Promise) {
      return entry.then(
        (key) => this.checkSignature(token, parsed, key),
        (error: unknown) => {
          throw this.context.withEnvironmentHint(error, parsed.payload)
        },
      )
    }
    return this.checkSignature(token, parsed, entry)
  }

  private checkSignature(token: string, parsed: ParsedToken, key: KeyEntry): ElevatedGrant | Promise<ElevatedGrant> {
    if (parsed.signature.length !== key.modulusBytes) throw this.context.signatureInvalid()
    const valid = this.context.backend.verifyRs256(key.key, parsed.signingInput, parsed.signature)
    if (valid === true) return this.checkClaims(token, parsed, key)
    if (valid === false) throw this.context.signatureInvalid()
    return valid.then((ok) => {
      if (!ok) throw this.context.signatureInvalid()
      return this.checkClaims(token, parsed, key)
    })
  }

  private checkClaims(token: string, parsed: ParsedToken, key: KeyEntry): ElevatedGrant {
    const { payload } = parsed
    const config = this.context.config
    const exp = checkTimes(payload, config.clock() / 1000, config.clockTolerance, config.maxTokenLifetime)
    checkIssuerAndEnvironment(payload, config.issuers, config.environmentId)
    checkAudience(payload, config.audiences)
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
      throw new DynamicAuthError('token_malformed', 'The token has no "sub" claim (the Dynamic user id).')
    }
    for (const name of ['sid', 'originalSid', 'jti'] as const) {
      const value = payload[name]
      if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 256)) {
        throw new DynamicAuthError('token_malformed', `The "${name}" claim is not a string of 1 to 256 characters.`)
      }
    }
    const singleUse = payload.singleUse
    // Dynamic's client reads a boolean (absent: false). Anything else is refused, not guessed at.
    if (singleUse !== undefined && typeof singleUse !== 'boolean') {
      throw new DynamicAuthError('token_malformed', 'The "singleUse" claim is not a boolean.')
    }
    const grant: ElevatedGrant = Object.freeze({
      scopes: Object.freeze(readScopes(payload)),
      singleUse: singleUse === true,
      expiresAt: new Date(exp * 1000),
      claims: Object.freeze(payload) as ElevatedTokenClaims,
    })
    // Only time-bound tokens: a single-use one is used once, and its claim must run every time.
    if (!grant.singleUse && this.maxCached > 0) {
      if (this.cache.size >= this.maxCached) {
        const oldest = this.cache.keys().next().value
        if (oldest !== undefined) this.cache.delete(oldest)
      }
      this.cache.set(token, { grant, exp, key })
    }
    return grant
  }

  /** Records a single-use token as used until it can no longer be accepted; refuses a second use. */
  private async consume(token: string, grant: ElevatedGrant, required: readonly string[]): Promise<void> {
    const jti = grant.claims.jti
    const id = `elevated:${typeof jti === 'string' ? jti : await sha256Base64url(token)}`
    // Kept past exp by the clock tolerance: the token is accepted that long.
    const until = Math.ceil(grant.claims.exp + this.context.config.clockTolerance)
    let first: boolean
    try {
      first = await this.context.oneTimeStore.claim(id, until)
    } catch (cause) {
      throw new DynamicAuthError(
        'one_time_store_unavailable',
        `The one-time store could not record this single-use elevated access token (${describe(cause)}), so it is refused rather than risk a second use; retry later, and check the store (Redis reachable and answering, or the in-memory store's maxEntries).`,
        { retryAfter: 5, cause },
      )
    }
    if (first !== true) {
      throw new DynamicAuthError(
        'elevated_token_reused',
        `This single-use elevated access token was already used. Step up again for ${required.join(' ')} (checkStepUpAuth, then getElevatedAccessToken, which consumes the token on the client) and send the new token once.`,
        { requiredScopes: required },
      )
    }
  }
}

function missing(required: readonly string[]): DynamicAuthError {
  return new DynamicAuthError(
    'elevated_token_missing',
    `This action requires an elevated access token with ${required.join(' ')}: step up (checkStepUpAuth, then getElevatedAccessToken of Dynamic's client) and send it in the ${ELEVATED_TOKEN_HEADER} header.`,
    { requiredScopes: required },
  )
}

/** Same user, same session: `(originalSid ?? sid)` of both tokens, equal and present. */
function checkLink(claims: Readonly<ElevatedTokenClaims>, session: DynamicSession, required: readonly string[]): void {
  const sessionClaims = session.claims as Readonly<Record<string, unknown>>
  const fix = `Step up in this session for ${required.join(' ')} and send the token it gives.`
  if (claims.sub !== session.userId) {
    throw new DynamicAuthError(
      'elevated_token_mismatch',
      `The elevated access token belongs to another user than the session token. ${fix}`,
      { requiredScopes: required },
    )
  }
  const elevatedSession = claims.originalSid ?? claims.sid
  const sessionId = sessionClaims.originalSid ?? sessionClaims.sid
  if (typeof elevatedSession !== 'string' || typeof sessionId !== 'string') {
    throw new DynamicAuthError(
      'elevated_token_mismatch',
      `The ${typeof elevatedSession !== 'string' ? 'elevated access token' : 'session token'} carries no session id (sid), so the elevated token cannot be tied to this session. ${fix}`,
      { requiredScopes: required },
    )
  }
  if (elevatedSession !== sessionId) {
    throw new DynamicAuthError(
      'elevated_token_mismatch',
      `The elevated access token was issued in another session than the session token. ${fix}`,
      { requiredScopes: required },
    )
  }
}

/** A refusal of the token itself becomes `elevated_token_invalid`; key and store failures pass on. */
function asElevatedRefusal(error: unknown, required: readonly string[]): DynamicAuthError {
  if (isDynamicAuthError(error)) {
    if (PASSED_ON.has(error.code)) return error
    return new DynamicAuthError(
      'elevated_token_invalid',
      `The elevated access token in ${ELEVATED_TOKEN_HEADER} was refused (${error.code}): ${error.message.replace(/; the client must refresh it\.$/, '.')} Step up again for ${required.join(' ')} and send the new token.`,
      { requiredScopes: required, cause: error },
    )
  }
  return new DynamicAuthError(
    'elevated_token_invalid',
    `The elevated access token in ${ELEVATED_TOKEN_HEADER} could not be verified. Step up again for ${required.join(' ')} and send the new token.`,
    { requiredScopes: required, cause: error },
  )
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/** base64url(SHA-256(token)) with WebCrypto, on every runtime: the id of a token without `jti`. */
async function sha256Base64url(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)))
  let binary = ''
  for (const byte of digest) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
