/**
 * The claims of Dynamic's tokens, as far as they are known (see the README's "Token facts").
 * Every member beyond the registered ones is optional and unknown members are kept: Dynamic
 * adds claims over time, and the type must not pretend to a closed list.
 */

/** The credential formats Dynamic is known to use; others may appear. */
export type VerifiedCredentialFormat = 'blockchain' | 'email' | 'oauth' | 'passkey' | 'phoneNumber' | 'externalUser' | (string & {})

/** One verified credential (ID token only): a wallet, an email, a social account, a phone, … */
export interface VerifiedCredential {
  id: string
  format: VerifiedCredentialFormat
  /** blockchain: the wallet address. */
  address?: string
  /** blockchain: the chain family, e.g. `eip155`, `solana`. */
  chain?: string
  wallet_name?: string
  wallet_provider?: string
  public_identifier?: string
  name_service?: Record<string, unknown>
  signInEnabled?: boolean
  wallet_properties?: Record<string, unknown>
  embedded_wallet_id?: string | null
  wallet_additional_addresses?: Array<Record<string, unknown>>
  /** email */
  email?: string
  /** oauth */
  oauth_provider?: string
  oauth_username?: string
  oauth_display_name?: string
  oauth_account_id?: string
  oauth_account_photos?: string[]
  oauth_emails?: string[]
  oauth_metadata?: Record<string, unknown>
  /** phoneNumber */
  phone_number?: string
  phoneNumber?: string
  phoneCountryCode?: string
  isoCountryCode?: string
  lastSelectedAt?: string
  [member: string]: unknown
}

/** The claims of a Dynamic access token (minified JWT) or ID token. */
export interface DynamicJwtClaims {
  /** Issuer: `app.dynamicauth.com/<environmentId>` or `app.dynamic.xyz/<environmentId>`. */
  iss: string
  /** The Dynamic user id. */
  sub: string
  /** The origin of the site that obtained the token, or a list of origins. */
  aud?: string | string[]
  iat?: number
  exp: number
  nbf?: number
  /** The session id. */
  sid?: string
  /** The session id this session was refreshed from; survives refresh. */
  originalSid?: string
  kid?: string
  environment_id?: string
  /** Space-separated scopes, e.g. `"user:basic"`. */
  scope?: string
  /** Legacy form of `scope`. */
  scopes?: string[]
  email?: string
  alias?: string
  username?: string
  first_name?: string
  last_name?: string
  given_name?: string
  family_name?: string
  phone_number?: string
  new_user?: boolean
  lists?: string[]
  metadata?: Record<string, unknown>
  missing_fields?: unknown[]
  /** ID token only: the full list of verified credentials. */
  verified_credentials?: VerifiedCredential[]
  /** Access token: hashes of the verified credentials, keyed by format. */
  verifiedCredentialsHashes?: Partial<Record<'blockchain' | 'email' | 'oauth' | 'phoneNumber' | 'externalUser', string>> & Record<string, unknown>
  last_verified_credential_id?: string
  signin_credential_id?: string
  session_public_key?: string
  hashed_ip?: string
  refreshExp?: number
  sdkVersion?: string
  server_auth?: unknown
  [claim: string]: unknown
}
