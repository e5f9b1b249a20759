/**
 * The tokens of a session, minted by the test kit exactly as it mints every Dynamic-shaped token
 * (its key, its claim models): the full token (`jwt`) with the user's profile, credentials and
 * `missing_fields`, and the minified one (`minifiedJwt`), both with the session's `sid`,
 * `originalSid` and scope. Only the profile comes from the emulated user instead of the kit's
 * default test user.
 */
import type { MintOptions } from '../test-issuer.js'
import type { ElevatedMintOptions, TokenScope } from '../step-up.js'
import type { InformationField } from './options.js'
import type { InformationFieldSetting } from './settings.js'
import type { EmulatedSession } from './sessions.js'
import type { EmulatedUser } from './users.js'

/** What the emulator needs of a test issuer. */
export interface Minter {
  mint(options?: MintOptions): string
  mintElevated(options: ElevatedMintOptions): string
}

/** The JWT claim each information field is carried in (Dynamic's `DynamicJwt` wire names). */
const CLAIM_OF: Record<InformationField, string> = {
  email: 'email',
  alias: 'alias',
  firstName: 'given_name',
  lastName: 'family_name',
  username: 'username',
  jobTitle: 'job_title',
  phoneNumber: 'phone_number',
  country: 'country',
  tShirtSize: 't_shirt_size',
  team: 'team',
  policiesConsent: 'policies_consent',
}

/** Profile claims the kit may give its default test user: set from the emulated user, or removed. */
const KIT_PROFILE_CLAIMS = ['first_name', 'last_name', ...Object.values(CLAIM_OF)]

/** The scope a session's tokens carry now. */
export function sessionScope(session: EmulatedSession, missing: readonly InformationFieldSetting[]): string {
  if (session.mfaPending) return 'requiresAdditionalAuth'
  if (missing.length > 0) return 'userDataForm'
  return 'user:basic'
}

/** The two tokens of a session, with the `expiresAt` (seconds) Dynamic answers. */
export interface SessionTokens {
  jwt: string
  minifiedJwt: string
  expiresAt: number
}

/** Mints the session's tokens under its current `sid`. */
export function mintSessionTokens(
  issuer: Minter,
  input: {
    session: EmulatedSession
    user: EmulatedUser
    scope: string
    missing: readonly InformationFieldSetting[]
    lifetime: number
  },
): SessionTokens {
  const { session, user, scope, missing, lifetime } = input
  const now = Math.floor(Date.now() / 1000)
  const shared: MintOptions = {
    sub: user.id,
    sid: session.currentSid,
    now,
    expiresIn: lifetime,
    scope,
    credentials: user.credentials.map((credential) => ({ ...credential })) as unknown as NonNullable<
      MintOptions['credentials']
    >,
    ...(session.audience !== undefined ? { audience: session.audience } : {}),
  }
  // Which credential was verified last (a sign-in or a link), which one opened the session, the
  // client's session key (none when it sent none) and whether an agent signed in headlessly.
  const credentialClaims = {
    last_verified_credential_id: user.lastVerifiedCredentialId,
    signin_credential_id: session.signInCredentialId,
    session_public_key: session.sessionPublicKey,
    server_auth: session.serverAuth ? true : undefined,
  }
  const profile: Record<string, unknown> = {}
  for (const name of KIT_PROFILE_CLAIMS) profile[name] = undefined
  for (const [field, value] of Object.entries(user.fields)) profile[CLAIM_OF[field as InformationField]] = value
  const jwt = issuer.mint({
    ...shared,
    kind: 'id',
    claims: {
      ...profile,
      ...credentialClaims,
      originalSid: session.id,
      new_user: user.newUser,
      first_visit: user.createdAt.toISOString(),
      last_visit: user.lastVisit.toISOString(),
      metadata: user.metadata,
      lists: [],
      missing_fields: missing.map((field) => ({ ...field })),
    },
  })
  const minifiedJwt = issuer.mint({
    ...shared,
    kind: 'access',
    claims: { email: user.email, ...credentialClaims, originalSid: session.id },
  })
  return { jwt, minifiedJwt, expiresAt: now + lifetime }
}

/** An elevated access token for `session`, beside its current tokens (same `sid`, `originalSid`, `aud`). */
export function mintElevatedToken(
  issuer: Minter,
  input: { session: EmulatedSession; scopes: readonly TokenScope[]; singleUse: boolean; expiresIn: number },
): string {
  const { session } = input
  return issuer.mintElevated({
    scopes: input.scopes,
    singleUse: input.singleUse,
    expiresIn: input.expiresIn,
    sub: session.userId,
    sid: session.currentSid,
    originalSid: session.id,
    ...(session.audience !== undefined ? { audience: session.audience } : {}),
  })
}
