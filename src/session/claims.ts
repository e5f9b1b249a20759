/**
 * The claims of Dynamic's two tokens, after Dynamic's own published models (`MinifiedDynamicJwt`
 * and `DynamicJwt` in `@dynamic-labs/sdk-api-core`), with the names as they are on the wire: a mix
 * of snake_case (`environment_id`, `wallet_name`) and camelCase (`verifiedCredentialsHashes`,
 * `signInEnabled`, `refreshExp`). Unknown members stay readable through index signatures: Dynamic
 * adds claims over time, and the types must not pretend to a closed list.
 */

/**
 * The chain names Dynamic writes in `verified_credentials[].chain` (`eip155` for every EVM chain,
 * `solana`, `bip122` for Bitcoin, …). Open: a chain added later is still a string.
 */
export type ChainName =
  | 'eip155'
  | 'solana'
  | 'bip122'
  | 'aleo'
  | 'algorand'
  | 'aptos'
  | 'cosmos'
  | 'eclipse'
  | 'flow'
  | 'midnight'
  | 'spark'
  | 'starknet'
  | 'stellar'
  | 'sui'
  | 'tempo'
  | 'ton'
  | 'tron'
  | (string & {})

/** How a wallet is connected (Dynamic's `WalletProviderEnum`). Open to values added later. */
export type WalletProvider =
  | 'browserExtension'
  | 'custodialService'
  | 'walletConnect'
  | 'qrCode'
  | 'deepLink'
  | 'embeddedWallet'
  | 'smartContractWallet'
  | (string & {})

/** The credential formats of Dynamic's `JwtVerifiedCredentialFormatEnum`; others may appear. */
export type VerifiedCredentialFormat = 'blockchain' | 'email' | 'oauth' | 'passkey' | 'phoneNumber' | 'externalUser' | 'totp' | (string & {})

/** The social providers of Dynamic's `ProviderEnum` (`oauth_provider`), the common ones named; others may appear. */
export type OAuthProvider =
  | 'apple'
  | 'bitbucket'
  | 'coinbasesocial'
  | 'discord'
  | 'epicgames'
  | 'facebook'
  | 'farcaster'
  | 'github'
  | 'gitlab'
  | 'google'
  | 'instagram'
  | 'line'
  | 'linkedin'
  | 'microsoft'
  | 'shopify'
  | 'spotify'
  | 'steam'
  | 'telegram'
  | 'tiktok'
  | 'twitch'
  | 'twitter'
  | (string & {})

/** The kind of an additional wallet address (Dynamic's `WalletAddressType`). */
export type WalletAddressType =
  | 'ordinals'
  | 'payment'
  | 'cosmos'
  | 'evm'
  | 'stellar'
  | 'ton'
  | 'midnight_unshielded'
  | 'midnight_dust'
  | 'midnight_shielded'
  | (string & {})

/** An ENS-style name of a wallet (`name_service`). */
export interface NameServiceData {
  avatar?: string
  name?: string
  [member: string]: unknown
}

/** Another address of the same wallet (a Bitcoin wallet's ordinals and payment addresses, say). */
export interface WalletAdditionalAddress {
  address: string
  publicKey?: string
  type: WalletAddressType
  network?: string
  [member: string]: unknown
}

/** Properties of an embedded or smart-contract wallet (`wallet_properties`; camelCase on the wire). */
export interface WalletProperties {
  turnkeySubOrganizationId?: string
  turnkeyPrivateKeyId?: string
  turnkeyHDWalletId?: string
  turnkeyUserId?: string
  isAuthenticatorAttached?: boolean
  isSessionKeyCompatible?: boolean
  version?: string
  ecdsaProviderType?: string
  entryPointVersion?: string
  kernelVersion?: string
  hardwareWallet?: string
  claimed?: boolean
  source?: string
  keyShares?: unknown[]
  thresholdSignatureScheme?: string
  derivationPath?: string
  settings?: Record<string, unknown>
  shareSetId?: string
  shareSetType?: string
  businessAccountId?: string
  otherShareSets?: unknown[]
  [member: string]: unknown
}

/**
 * One verified credential of the ID token (Dynamic's `JwtVerifiedCredential`): a wallet, an
 * email, a social account, a phone, a passkey, … The members are named as on the wire.
 */
export interface VerifiedCredential {
  /** The credential id (a UUID, with an optional `-zerodev` suffix). */
  id: string
  format: VerifiedCredentialFormat
  /** Whether the user can sign in with this credential. */
  signInEnabled: boolean
  /** blockchain: the wallet address. */
  address?: string
  /** blockchain: the chain family, e.g. `eip155` (EVM), `solana`, `bip122` (Bitcoin). */
  chain?: ChainName
  refId?: string
  signerRefId?: string
  /** email: the address. */
  email?: string
  name_service?: NameServiceData
  /** What identifies the credential to a person: the address of a wallet, the email of an email credential. */
  public_identifier?: string
  /** blockchain: the wallet's name, e.g. `metamask`, `phantom`. */
  wallet_name?: string
  wallet_provider?: WalletProvider
  wallet_properties?: WalletProperties
  business_account_properties?: Record<string, unknown>
  oauth_provider?: OAuthProvider
  oauth_username?: string
  oauth_display_name?: string | null
  oauth_account_id?: string | null
  oauth_account_photos?: string[]
  oauth_emails?: string[]
  /** oauth: the provider's raw profile (`_raw`, a JSON string, and `_json`). Can be large. */
  oauth_metadata?: Record<string, unknown>
  /** phoneNumber (camelCase on the wire). */
  phoneNumber?: string
  phoneCountryCode?: string
  isoCountryCode?: string
  previous_users?: string[]
  embedded_wallet_id?: string | null
  wallet_additional_addresses?: WalletAdditionalAddress[]
  /** When the user last selected this credential (ISO 8601). */
  lastSelectedAt?: string
  /** When the credential was verified (ISO 8601). */
  verifiedAt?: string
  [member: string]: unknown
}

/**
 * `verifiedCredentialsHashes`: per credential format, a hash of the concatenated ids of the
 * user's credentials of that format (Dynamic's `JwtVerifiedCredentialHashes`).
 */
export interface VerifiedCredentialsHashes {
  blockchain?: string
  email?: string
  oauth?: string
  phoneNumber?: string
  externalUser?: string
  [format: string]: unknown
}

/**
 * A field of the information form the user still owes (`missing_fields`, Dynamic's
 * `ProjectSettingsKyc`): `name` is the field (e.g. `first_name`), `label` what the form shows.
 */
export interface MissingField {
  name: string
  required: boolean
  enabled: boolean
  unique?: boolean
  verify?: boolean
  type?: string
  label?: string
  [member: string]: unknown
}

/** A wallet account in the deprecated `blockchain_accounts` and `verified_account` claims (`JwtBlockchainAccount`). */
export interface JwtBlockchainAccount {
  id: string
  address: string
  /** e.g. `EVM`, `SOL`. */
  chain: string
  wallet_name: string
  wallet_provider: WalletProvider
  name_service?: NameServiceData
  [member: string]: unknown
}

/** The deprecated `info` claim (`JwtPayloadDeprecatedInfo`, camelCase on the wire). */
export interface JwtDeprecatedInfo {
  environmentId: string
  alias?: string
  chain?: string
  email?: string
  ens?: NameServiceData
  firstName?: string
  lastName?: string
  jobTitle?: string
  lists?: string[]
  phoneNumber?: string
  tShirtSize?: string
  userId?: string
  username?: string
  wallet?: string
  walletPublicKey?: string
  [member: string]: unknown
}

/**
 * The claims both of Dynamic's tokens carry (the members `MinifiedDynamicJwt` and `DynamicJwt`
 * share), documented once.
 */
export interface DynamicTokenCommonClaims {
  /** The environment key's id (the header's `kid`, repeated in the payload). */
  kid: string
  /** The origin of the site that obtained the token. */
  aud: string
  /** `app.dynamicauth.com/<environmentId>` (the backend API host and the environment id). */
  iss: string
  /** The Dynamic user id. */
  sub: string
  /** The session id. */
  sid: string
  exp: number
  iat?: number
  environment_id: string
  last_verified_credential_id: string
  /** The credential the user signed in with; fixed for the session's life. */
  signin_credential_id?: string
  /** The client session's public key. */
  session_public_key?: string
  /** Space-separated scopes, e.g. `"user:basic"` (RFC 8693 §4.2). */
  scope?: string
  verifiedCredentialsHashes?: VerifiedCredentialsHashes
  email?: string
  username?: string
  /** True when issued through server-side authentication. */
  server_auth?: boolean
  hashed_ip?: string
  /** The session id this session was refreshed from; survives refresh. */
  originalSid?: string
  /** Until when the session can be refreshed (seconds since the epoch). */
  refreshExp?: number
  /** The SDK that obtained the token, e.g. `WalletKit/1.2.3`. */
  sdkVersion?: string
  deviceRegistrationId?: string | null
  /** `org:{organizationId}:{role}` and `account:{businessAccountId}:{role}`. */
  roles?: string[]
  [claim: string]: unknown
}

/**
 * The claims of Dynamic's **access token** (the "minified JWT", `minifiedJwt`; the bearer token
 * and the `DYNAMIC_JWT_TOKEN` cookie), after Dynamic's `MinifiedDynamicJwt`. It carries no
 * `verified_credentials`: only their hashes.
 */
export interface DynamicAccessTokenClaims extends DynamicTokenCommonClaims {
  /** Never in an access token. */
  verified_credentials?: never
}

/**
 * The claims of Dynamic's **ID token** (the full JWT, `jwt`; what the React SDK's
 * `getAuthToken()` returns), after Dynamic's `DynamicJwt`: the profile and the full
 * `verified_credentials`.
 */
export interface DynamicIdTokenClaims extends DynamicTokenCommonClaims {
  /** The information the user still owes (the form's fields); empty once complete. */
  missing_fields: MissingField[]
  verified_credentials: VerifiedCredential[]
  alias?: string
  /** The first name (there is no `first_name` claim). */
  given_name?: string
  /** The last name (there is no `last_name` claim). */
  family_name?: string
  phone_number?: string
  country?: string
  job_title?: string
  t_shirt_size?: string
  team?: string
  policies_consent?: boolean
  new_user?: boolean
  /** ISO 8601. */
  first_visit?: string
  /** ISO 8601. */
  last_visit?: string
  /** The access lists the user is on. */
  lists?: string[]
  metadata?: Record<string, unknown>
  last_authenticated_account_id?: string
  blockchain_accounts?: JwtBlockchainAccount[]
  verified_account?: JwtBlockchainAccount
  btc_wallet?: string
  kda_wallet?: string
  ltc_wallet?: string
  ckb_wallet?: string
  kas_wallet?: string
  doge_wallet?: string
  email_notification?: boolean
  discord_notification?: boolean
  newsletter_notification?: boolean
  /** @deprecated Dynamic's older profile object; read `given_name`, `family_name`, … instead. */
  info?: JwtDeprecatedInfo
}

/**
 * The claims of a verified Dynamic token, access or ID: every member either token may carry.
 * What verification guarantees is required (`iss`, `sub`, `exp`); everything else is optional
 * here, since a token is not refused for lacking it. Narrow with {@link isIdTokenClaims} or
 * {@link isAccessTokenClaims} to get Dynamic's models with their required members checked.
 */
export interface DynamicJwtClaims extends OptionalExcept<DynamicIdTokenClaims, 'iss' | 'sub' | 'exp' | 'aud'> {
  iss: string
  sub: string
  exp: number
  /** The audience: Dynamic writes one origin; a list is accepted by the verifier too. */
  aud?: string | string[]
  nbf?: number
  /** Legacy form of `scope` in older tokens; read only when `scope` is absent. */
  scopes?: string[]
  [claim: string]: unknown
}

/** `T` with every member optional, and the members `K` left out (index signatures kept). */
type OptionalExcept<T, K extends PropertyKey> = { [P in keyof T as P extends K ? never : P]?: T[P] }

const isText = (value: unknown): value is string => typeof value === 'string'

function hasCoreClaims(claims: Readonly<Record<string, unknown>>): boolean {
  return (
    isText(claims.kid) &&
    isText(claims.aud) &&
    isText(claims.iss) &&
    isText(claims.sub) &&
    isText(claims.sid) &&
    typeof claims.exp === 'number' &&
    isText(claims.environment_id) &&
    isText(claims.last_verified_credential_id)
  )
}

/**
 * True when `claims` are an ID token's with the members Dynamic's `DynamicJwt` requires
 * (`verified_credentials` and `missing_fields` arrays, the ids as strings): then they can be read
 * as {@link DynamicIdTokenClaims}.
 */
export function isIdTokenClaims(claims: Readonly<DynamicJwtClaims>): claims is Readonly<DynamicJwtClaims & DynamicIdTokenClaims> {
  return hasCoreClaims(claims) && Array.isArray(claims.verified_credentials) && Array.isArray(claims.missing_fields)
}

/**
 * True when `claims` are an access token's (no `verified_credentials`) with the members Dynamic's
 * `MinifiedDynamicJwt` requires: then they can be read as {@link DynamicAccessTokenClaims}.
 */
export function isAccessTokenClaims(claims: Readonly<DynamicJwtClaims>): claims is Readonly<DynamicJwtClaims & DynamicAccessTokenClaims> {
  return hasCoreClaims(claims) && claims.verified_credentials === undefined
}
