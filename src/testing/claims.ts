/**
 * Dynamic-shaped claims for test tokens: what an access token (minified JWT) and an ID token look
 * like, member for member after Dynamic's models, with realistic defaults (an EVM wallet and an
 * email credential).
 */
import { createHash, randomUUID } from 'node:crypto'
import type {
  DynamicAccessTokenClaims,
  DynamicIdTokenClaims,
  VerifiedCredential,
  VerifiedCredentialsHashes,
} from '../session/claims.js'
import { TEST_SESSION_KEY } from './session-key.js'

/** The default test user's credentials: an EVM wallet and a verified email. */
export function defaultCredentials(): VerifiedCredential[] {
  return [
    {
      id: 'c3a0a6f2-4b7e-4a55-9a8e-0d2f1c6b9e01',
      format: 'blockchain',
      address: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F',
      chain: 'eip155',
      wallet_name: 'metamask',
      wallet_provider: 'browserExtension',
      public_identifier: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F',
      signInEnabled: true,
      name_service: {},
      lastSelectedAt: '2026-11-01T10:00:00.000Z',
      verifiedAt: '2026-10-01T09:00:00.000Z',
    },
    {
      id: 'e5b1d9c4-8f2a-4c61-b3d7-5a9e0f1c2d03',
      format: 'email',
      email: 'ada@example.com',
      public_identifier: 'ada@example.com',
      signInEnabled: true,
      verifiedAt: '2026-10-01T09:00:00.000Z',
    },
  ]
}

/**
 * The profile claims of an ID token (an access token carries only `email` and `username` of them).
 * `first_name`/`last_name` are accepted as older spellings of `given_name`/`family_name`: Dynamic's
 * tokens have no `first_name`/`last_name` claim, so the kit never mints one.
 */
export interface TestProfile {
  /** The `email` claim. */
  email?: string
  /** The `username` claim. */
  username?: string
  /** The `given_name` claim (the first name); ID token only. */
  given_name?: string
  /** The `family_name` claim (the last name); ID token only. */
  family_name?: string
  /** @deprecated Use `given_name`: Dynamic's tokens carry no `first_name` claim. */
  first_name?: string
  /** @deprecated Use `family_name`: Dynamic's tokens carry no `last_name` claim. */
  last_name?: string
  /** The `new_user` claim; ID token only. */
  new_user?: boolean
}

const DEFAULT_PROFILE = { username: 'ada', given_name: 'Ada', family_name: 'Lovelace', new_user: false } as const

/** The SDK version the kit's tokens say obtained them. */
const SDK_VERSION = 'WalletKit/4.20.4'

/** The formats `verifiedCredentialsHashes` has a member for (Dynamic's `JwtVerifiedCredentialHashes`). */
const HASHED_FORMATS = new Set(['blockchain', 'email', 'oauth', 'phoneNumber', 'externalUser'])

/** Per format, a hash of the concatenated ids of the credentials of that format. */
function credentialHashes(credentials: readonly VerifiedCredential[]): VerifiedCredentialsHashes {
  const ids = new Map<string, string>()
  for (const credential of credentials) {
    if (HASHED_FORMATS.has(credential.format))
      ids.set(credential.format, (ids.get(credential.format) ?? '') + credential.id)
  }
  const hashes: VerifiedCredentialsHashes = {}
  for (const [format, concatenated] of ids) hashes[format] = createHash('sha256').update(concatenated).digest('hex')
  return hashes
}

/** The input of {@link dynamicClaims}. */
export interface DynamicClaimsInput {
  kind: 'access' | 'id'
  environmentId: string
  issuer: string
  kid: string
  now: number
  expiresIn: number
  sub: string
  sid: string
  scope: string
  audience: string
  credentials: VerifiedCredential[]
  /** ID token only (and `email`/`username` of the access token): profile claims that replace the default test user's. */
  profile?: TestProfile
}

/**
 * The claims Dynamic puts in a token, with exactly the members of Dynamic's models:
 * `access`, the minified JWT ({@link DynamicAccessTokenClaims}: credential hashes, no
 * credentials), or `id`, the full JWT ({@link DynamicIdTokenClaims}: the profile, the
 * credentials, `missing_fields`).
 */
export function dynamicClaims(input: DynamicClaimsInput & { kind: 'access' }): DynamicAccessTokenClaims
export function dynamicClaims(input: DynamicClaimsInput & { kind: 'id' }): DynamicIdTokenClaims
export function dynamicClaims(input: DynamicClaimsInput): DynamicAccessTokenClaims | DynamicIdTokenClaims
export function dynamicClaims(input: DynamicClaimsInput): DynamicAccessTokenClaims | DynamicIdTokenClaims {
  const { kind, environmentId, issuer, kid, now, expiresIn, sub, sid, scope, audience, credentials } = input
  const given = input.profile ?? {}
  const profile = {
    ...DEFAULT_PROFILE,
    ...given,
    given_name: given.given_name ?? given.first_name ?? DEFAULT_PROFILE.given_name,
    family_name: given.family_name ?? given.last_name ?? DEFAULT_PROFILE.family_name,
  }
  const email = profile.email ?? credentials.find((c) => c.format === 'email')?.email
  const lastCredential = credentials[0]?.id ?? randomUUID()
  // The members both tokens share, in the order Dynamic's models list them.
  const shared = {
    kid,
    aud: audience,
    iss: issuer,
    sub,
    sid,
    exp: now + expiresIn,
    iat: now,
    environment_id: environmentId,
    last_verified_credential_id: lastCredential,
    signin_credential_id: lastCredential,
    session_public_key: TEST_SESSION_KEY.publicKeyHex,
    scope,
    verifiedCredentialsHashes: credentialHashes(credentials),
  }
  if (kind === 'access') {
    const claims: DynamicAccessTokenClaims = {
      ...shared,
      ...(email ? { email } : {}),
      // The default test user's username stays in its ID token: a caller's own user gets theirs only.
      ...(given.username !== undefined ? { username: given.username } : {}),
      originalSid: sid,
      sdkVersion: SDK_VERSION,
    }
    return claims
  }
  const claims: DynamicIdTokenClaims = {
    ...shared,
    missing_fields: [],
    verified_credentials: credentials,
    ...(email ? { email } : {}),
    alias: profile.username,
    username: profile.username,
    given_name: profile.given_name,
    family_name: profile.family_name,
    new_user: profile.new_user,
    first_visit: new Date((now - 86_400) * 1000).toISOString(),
    last_visit: new Date(now * 1000).toISOString(),
    lists: [],
    metadata: {},
    originalSid: sid,
    sdkVersion: SDK_VERSION,
  }
  return claims
}
