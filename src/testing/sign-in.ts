/**
 * What Dynamic's SDK receives when a user signs in (its `verify` answer): the ID token (`jwt`),
 * the access token (`minifiedJwt`, the one a backend verifies and the cookie carries),
 * `expiresAt` in seconds and the user, with the member names of Dynamic's SDK API: camelCase for
 * the user (`verifiedCredentials`), the token's own snake_case names inside each credential
 * (`wallet_name`), as Dynamic's `JwtVerifiedCredential` model reads them.
 */
import { decodeBase64url } from '../parse/base64url.js'
import type { VerifiedCredential } from '../session/claims.js'

/** A credential as Dynamic's SDK API lists it on the user (its `JwtVerifiedCredential`). */
export interface SignInCredential {
  /** The credential id. */
  id: string
  /** `blockchain`, `email`, `oauth`, `phoneNumber`, … */
  format: string
  /** blockchain: the wallet address. */
  address?: string
  /** blockchain: the chain family, e.g. `eip155`. */
  chain?: string
  /** blockchain: the wallet's name, e.g. `metamask`. */
  wallet_name?: string
  /** blockchain: how the wallet is connected. */
  wallet_provider?: string
  /** What identifies the credential to a person: an address, an email. */
  public_identifier?: string
  /** blockchain: the wallet's name-service (ENS-style) name. */
  name_service?: Record<string, unknown>
  /** email: the address. */
  email?: string
  [member: string]: unknown
}

/** The signed-in user, as Dynamic's SDK API describes it. */
export interface SignInUser {
  /** The Dynamic user id (the tokens' `sub`). */
  id: string
  /** The session id (the tokens' `sid`). */
  sessionId: string | undefined
  /** The environment id. */
  projectEnvironmentId: string | undefined
  /** The user's email address. */
  email?: string
  /** The user name. */
  username?: string
  /** The first name (the ID token's `given_name`). */
  firstName?: string
  /** The last name (the ID token's `family_name`). */
  lastName?: string
  /** True on the user's first sign-in. */
  newUser?: boolean
  /** The tokens' scopes, space-separated. */
  scope: string | undefined
  /** The id of the credential the user verified last. */
  lastVerifiedCredentialId?: string
  /** The user's credentials, as in the ID token. */
  verifiedCredentials: SignInCredential[]
}

/** The tokens of one sign-in, shaped as Dynamic hands them to its SDK. */
export interface SignInResult {
  /** The ID token. */
  jwt: string
  /** The access token ("minified JWT"): what a backend verifies and what Dynamic's cookie holds. */
  minifiedJwt: string
  /** When both tokens expire, in seconds since the epoch. */
  expiresAt: number
  /** The signed-in user. */
  user: SignInUser
}

/** The token's credential under the same names: Dynamic's API and its tokens share one model. */
function credential(source: VerifiedCredential): SignInCredential {
  return { ...source } as SignInCredential
}

function payloadOf(token: string): Record<string, unknown> {
  const bytes = decodeBase64url(token.split('.')[1] ?? '')
  return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>) : {}
}

/** Builds the sign-in answer from the two tokens of one session. */
export function signInResult(jwt: string, minifiedJwt: string): SignInResult {
  const claims = payloadOf(jwt)
  const text = (name: string): string | undefined =>
    typeof claims[name] === 'string' ? (claims[name] as string) : undefined
  const credentials = Array.isArray(claims.verified_credentials)
    ? (claims.verified_credentials as VerifiedCredential[])
    : []
  const user: SignInUser = {
    id: String(claims.sub),
    sessionId: text('sid'),
    projectEnvironmentId: text('environment_id'),
    scope: text('scope'),
    verifiedCredentials: credentials.map(credential),
  }
  const optional: Array<[keyof SignInUser, unknown]> = [
    ['email', text('email')],
    ['username', text('username')],
    ['firstName', text('given_name')],
    ['lastName', text('family_name')],
    ['newUser', claims.new_user],
    ['lastVerifiedCredentialId', text('last_verified_credential_id')],
  ]
  for (const [name, value] of optional)
    if (value !== undefined) (user as unknown as Record<string, unknown>)[name] = value
  return { jwt, minifiedJwt, expiresAt: Number(claims.exp), user }
}
