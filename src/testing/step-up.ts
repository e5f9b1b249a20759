/**
 * Elevated access tokens (Dynamic's step-up authentication), as the test kit and the emulator mint
 * them. Dynamic's published models settle three claims only: `scope` (TokenScope values, space
 * separated), `singleUse` (a boolean) and `exp` (the client's `parseElevatedAccessToken` reads
 * nothing else). The rest is an assumption, written down in docs/guide/local-dynamic.md
 * ("Step-up"): the token is signed like the session token (RS256, the environment's key and kid),
 * with `iss`, `aud`, `environment_id`, `sub`, `sid`, `originalSid`, `iat` and a `jti`, and no
 * `user:basic` (it authorises an action, not a session).
 */
import { randomUUID } from 'node:crypto'

/** Dynamic's `TokenScope` values (`@dynamic-labs/sdk-api-core`): the only scopes an elevated token carries. */
export const TOKEN_SCOPES = [
  'business_account:link_wallet',
  'business_account:member:add',
  'business_account:member:remove',
  'business_account:member:role:update',
  'business_account:signer:add',
  'business_account:signer:remove',
  'business_account:transfer_ownership',
  'business_account:wallet:remove',
  'console:admin_action:review',
  'console:approval_workflow:update',
  'console:member:invite',
  'console:mfa:reset',
  'console:project:delete',
  'console:settings:update',
  'console:sso:update',
  'console:user:delete',
  'credential:link',
  'credential:update',
  'credential:unlink',
  'user:update',
  'user:delete',
  'wallet:export',
  'wallet:delete',
  'wallet:delegate',
  'wallet:sign',
  'wallet:restore',
] as const

/** One of {@link TOKEN_SCOPES}. */
export type TokenScope = (typeof TOKEN_SCOPES)[number]

/** Dynamic's `MFASettingsActions.tokenBehavior`. */
export type ElevatedTokenBehavior = 'single_use' | 'time_bound'

/** Dynamic's defaults: 300 s for a single-use token, 600 s for a time-bound one. */
export const ELEVATED_TOKEN_LIFETIME: Readonly<Record<ElevatedTokenBehavior, number>> = {
  single_use: 300,
  time_bound: 600,
}

/** Dynamic's default behaviour for a scope: single use for wallet scopes, time-bound for the others. */
export function defaultTokenBehavior(scope: string): ElevatedTokenBehavior {
  return scope.startsWith('wallet:') ? 'single_use' : 'time_bound'
}

/** What {@link TestIssuer.mintElevated} takes. */
export interface ElevatedMintOptions {
  /** The scopes (TokenScope values; any string is minted, to test refusals). */
  scopes: readonly string[]
  /** Single use (`singleUse: true`). Default: as Dynamic, true when any scope is a `wallet:` scope. */
  singleUse?: boolean
  /** Lifetime in seconds. Default 300 when single use, 600 otherwise. */
  expiresIn?: number
  /** Already expired (by 60 seconds). */
  expired?: boolean
  /** The user id. Default: the kit's test user. */
  sub?: string
  /** The `sid` of the session token it was issued beside. Default: a new UUID. */
  sid?: string
  /** The session id (`originalSid` of the session's tokens). Default: `sid`. */
  originalSid?: string
  /** Another environment's id (signed by this issuer's key). */
  environmentId?: string
  /** The `aud`. Default: the issuer's audience. */
  audience?: string
  /** Claims to set or (with `undefined`) remove, applied last. */
  claims?: Record<string, unknown>
  /** The clock, in seconds. Default now. */
  now?: number
}

/** The claims of an elevated access token (see the file comment for which are assumptions). */
export function elevatedClaims(input: {
  options: ElevatedMintOptions
  issuer: string
  environmentId: string
  kid: string
  sub: string
  audience: string
}): Record<string, unknown> {
  const { options } = input
  const singleUse = options.singleUse ?? options.scopes.some((scope) => defaultTokenBehavior(scope) === 'single_use')
  const expiresIn = options.expiresIn ?? ELEVATED_TOKEN_LIFETIME[singleUse ? 'single_use' : 'time_bound']
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const iat = options.expired ? now - expiresIn - 60 : now
  const sid = options.sid ?? randomUUID()
  const claims: Record<string, unknown> = {
    kid: input.kid,
    aud: input.audience,
    iss: input.issuer,
    sub: input.sub,
    sid,
    originalSid: options.originalSid ?? sid,
    environment_id: input.environmentId,
    iat,
    exp: iat + expiresIn,
    jti: randomUUID(),
    scope: options.scopes.join(' '),
    singleUse,
  }
  for (const [name, value] of Object.entries(options.claims ?? {})) {
    if (value === undefined) delete claims[name]
    else claims[name] = value
  }
  return claims
}
