/**
 * Dynamic-shaped claims for test tokens: what an access token (minified JWT) and an ID token look
 * like, with realistic defaults (an EVM wallet and an email credential).
 */
import { createHash, randomUUID } from 'node:crypto'
import type { DynamicJwtClaims, VerifiedCredential } from '../session/claims.js'

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
      lastSelectedAt: '2026-11-01T10:00:00.000Z',
    },
    {
      id: 'e5b1d9c4-8f2a-4c61-b3d7-5a9e0f1c2d03',
      format: 'email',
      email: 'ada@example.com',
      public_identifier: 'ada@example.com',
      signInEnabled: true,
    },
  ]
}

/** The profile claims an ID token carries (an access token carries none of them). */
export interface TestProfile {
  email?: string
  username?: string
  first_name?: string
  last_name?: string
  new_user?: boolean
}

const DEFAULT_PROFILE = { username: 'ada', first_name: 'Ada', last_name: 'Lovelace', new_user: false } as const

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex')
}

/** The claims Dynamic puts in a token, for `kind` `access` (minified) or `id`. */
export function dynamicClaims(input: {
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
  /** ID token only: profile claims that replace the default test user's. */
  profile?: TestProfile
}): DynamicJwtClaims {
  const { kind, environmentId, issuer, kid, now, expiresIn, sub, sid, scope, audience, credentials } = input
  const base: DynamicJwtClaims = {
    kid,
    aud: audience,
    iss: issuer,
    sub,
    sid,
    originalSid: sid,
    environment_id: environmentId,
    scope,
    iat: now,
    exp: now + expiresIn,
    last_verified_credential_id: credentials[0]?.id ?? randomUUID(),
    signin_credential_id: credentials[0]?.id ?? randomUUID(),
    session_public_key: '0339f7a6e2c8f1b5d4a3e2f1c0b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0',
  }
  if (kind === 'access') {
    const byFormat: Record<string, string> = {}
    for (const credential of credentials) byFormat[credential.format] = hash(credential)
    return { ...base, verifiedCredentialsHashes: byFormat }
  }
  const profile = { ...DEFAULT_PROFILE, ...input.profile }
  const email = profile.email ?? credentials.find((c) => c.format === 'email')?.email
  return {
    ...base,
    ...(email ? { email } : {}),
    alias: profile.username,
    username: profile.username,
    first_name: profile.first_name,
    last_name: profile.last_name,
    new_user: profile.new_user,
    lists: [],
    metadata: {},
    missing_fields: [],
    verified_credentials: credentials,
    sdkVersion: '4.20.4',
  }
}
