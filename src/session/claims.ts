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
export type VerifiedCredentialFormat =
  | 'blockchain'
  | 'email'
  | 'oauth'
  | 'passkey'
  | 'phoneNumber'
  | 'externalUser'
  | 'totp'
  | (string & {})

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
  /** The URL of the name's avatar image. */
  avatar?: string
  /** The name, e.g. `vitalik.eth`. */
  name?: string
  [member: string]: unknown
}

/** Another address of the same wallet (a Bitcoin wallet's ordinals and payment addresses, say). */
export interface WalletAdditionalAddress {
  /** The other address. */
  address: string
  /** Its public key, where the chain needs one to verify signatures. */
  publicKey?: string
  /** What the address is for, e.g. `ordinals` or `payment` for a Bitcoin wallet. */
  type: WalletAddressType
  /** The network it belongs to, when not the wallet's own. */
  network?: string
  [member: string]: unknown
}

/** Properties of an embedded or smart-contract wallet (`wallet_properties`; camelCase on the wire). */
export interface WalletProperties {
  /** Turnkey embedded wallet: the sub-organization that holds the key. */
  turnkeySubOrganizationId?: string
  /** Turnkey embedded wallet: the private key's id. */
  turnkeyPrivateKeyId?: string
  /** Turnkey embedded wallet: the HD wallet's id. */
  turnkeyHDWalletId?: string
  /** Turnkey embedded wallet: the Turnkey user's id. */
  turnkeyUserId?: string
  /** Whether an authenticator (a passkey, say) is attached to the embedded wallet. */
  isAuthenticatorAttached?: boolean
  /** Whether the wallet can sign with session keys. */
  isSessionKeyCompatible?: boolean
  /** The embedded wallet's version. */
  version?: string
  /** Smart-contract wallet: the ECDSA validator's provider. */
  ecdsaProviderType?: string
  /** Smart-contract wallet: the ERC-4337 entry point version. */
  entryPointVersion?: string
  /** Smart-contract wallet: the ZeroDev Kernel version. */
  kernelVersion?: string
  /** The hardware wallet behind it, if any (e.g. `ledger`). */
  hardwareWallet?: string
  /** Whether a pregenerated wallet has been claimed by its user. */
  claimed?: boolean
  /** Where the wallet came from, as Dynamic records it. */
  source?: string
  /** MPC wallet: the key shares (their descriptions, never the secrets). */
  keyShares?: unknown[]
  /** MPC wallet: the threshold scheme, e.g. `TWO_OF_TWO`. */
  thresholdSignatureScheme?: string
  /** The key's derivation path. */
  derivationPath?: string
  /** Other wallet settings, as Dynamic sends them. */
  settings?: Record<string, unknown>
  /** MPC wallet: the id of its key share set. */
  shareSetId?: string
  /** MPC wallet: the kind of its key share set. */
  shareSetType?: string
  /** The business account the wallet belongs to. */
  businessAccountId?: string
  /** MPC wallet: its other key share sets. */
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
  /** What kind of credential it is: `blockchain` (a wallet), `email`, `oauth`, `phoneNumber`, … */
  format: VerifiedCredentialFormat
  /** Whether the user can sign in with this credential. */
  signInEnabled: boolean
  /** blockchain: the wallet address. */
  address?: string
  /** blockchain: the chain family, e.g. `eip155` (EVM), `solana`, `bip122` (Bitcoin). */
  chain?: ChainName
  /** The id of the record the credential refers to (the embedded wallet's, for one). */
  refId?: string
  /** Smart-contract wallet: the credential id of the wallet that signs for it. */
  signerRefId?: string
  /** email: the address. */
  email?: string
  /** blockchain: the wallet's name-service (ENS-style) name. */
  name_service?: NameServiceData
  /** What identifies the credential to a person: the address of a wallet, the email of an email credential. */
  public_identifier?: string
  /** blockchain: the wallet's name, e.g. `metamask`, `phantom`. */
  wallet_name?: string
  /** blockchain: how the wallet is connected (browser extension, embedded wallet, …). */
  wallet_provider?: WalletProvider
  /** blockchain: properties of an embedded or smart-contract wallet. */
  wallet_properties?: WalletProperties
  /** Properties of a business account credential, as Dynamic sends them. */
  business_account_properties?: Record<string, unknown>
  /** oauth: the social provider, e.g. `google`, `github`. */
  oauth_provider?: OAuthProvider
  /** oauth: the user name at the provider. */
  oauth_username?: string
  /** oauth: the display name at the provider. */
  oauth_display_name?: string | null
  /** oauth: the account id at the provider. */
  oauth_account_id?: string | null
  /** oauth: the URLs of the account's pictures. */
  oauth_account_photos?: string[]
  /** oauth: the email addresses the provider gave. */
  oauth_emails?: string[]
  /** oauth: the provider's raw profile (`_raw`, a JSON string, and `_json`). Can be large. */
  oauth_metadata?: Record<string, unknown>
  /** phoneNumber (camelCase on the wire). */
  phoneNumber?: string
  /** phoneNumber: the country calling code, e.g. `1`. */
  phoneCountryCode?: string
  /** phoneNumber: the ISO 3166 country code, e.g. `US`. */
  isoCountryCode?: string
  /** The ids of users this credential belonged to before (after an account merge). */
  previous_users?: string[]
  /** The embedded wallet's id, for a credential of one. */
  embedded_wallet_id?: string | null
  /** blockchain: the wallet's other addresses (a Bitcoin wallet's ordinals and payment addresses, say). */
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
  /** The hash over the user's wallet credentials. */
  blockchain?: string
  /** The hash over the user's email credentials. */
  email?: string
  /** The hash over the user's social credentials. */
  oauth?: string
  /** The hash over the user's phone credentials. */
  phoneNumber?: string
  /** The hash over the user's external-auth credentials. */
  externalUser?: string
  [format: string]: unknown
}

/**
 * A field of the information form the user still owes (`missing_fields`, Dynamic's
 * `ProjectSettingsKyc`): `name` is the field (e.g. `first_name`), `label` what the form shows.
 */
export interface MissingField {
  /** The field, e.g. `first_name`. */
  name: string
  /** Whether the user must fill it in. */
  required: boolean
  /** Whether the form shows it. */
  enabled: boolean
  /** Whether its value must be unique across the environment's users. */
  unique?: boolean
  /** Whether its value must be verified (an email or phone number, say). */
  verify?: boolean
  /** The kind of field, as Dynamic names it. */
  type?: string
  /** What the form shows for it. */
  label?: string
  [member: string]: unknown
}

/** A wallet account in the deprecated `blockchain_accounts` and `verified_account` claims (`JwtBlockchainAccount`). */
export interface JwtBlockchainAccount {
  /** The credential id. */
  id: string
  /** The wallet address. */
  address: string
  /** e.g. `EVM`, `SOL`. */
  chain: string
  /** The wallet's name, e.g. `metamask`. */
  wallet_name: string
  /** How the wallet is connected. */
  wallet_provider: WalletProvider
  /** The wallet's name-service (ENS-style) name. */
  name_service?: NameServiceData
  [member: string]: unknown
}

/** The deprecated `info` claim (`JwtPayloadDeprecatedInfo`, camelCase on the wire). */
export interface JwtDeprecatedInfo {
  /** The environment id. */
  environmentId: string
  /** The user's alias. */
  alias?: string
  /** The chain of the user's wallet. */
  chain?: string
  /** The user's email address. */
  email?: string
  /** The wallet's ENS name. */
  ens?: NameServiceData
  /** The user's first name. */
  firstName?: string
  /** The user's last name. */
  lastName?: string
  /** The user's job title. */
  jobTitle?: string
  /** The access lists the user is on. */
  lists?: string[]
  /** The user's phone number. */
  phoneNumber?: string
  /** The user's T-shirt size. */
  tShirtSize?: string
  /** The Dynamic user id. */
  userId?: string
  /** The user name. */
  username?: string
  /** The user's wallet address. */
  wallet?: string
  /** The user's wallet public key. */
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
  /** When the token expires (seconds since the epoch). */
  exp: number
  /** When the token was issued (seconds since the epoch). */
  iat?: number
  /** The Dynamic environment the token was issued for. */
  environment_id: string
  /** The id of the credential the user verified last. */
  last_verified_credential_id: string
  /** The credential the user signed in with; fixed for the session's life. */
  signin_credential_id?: string
  /** The client session's public key. */
  session_public_key?: string
  /** Space-separated scopes, e.g. `"user:basic"` (RFC 8693 §4.2). */
  scope?: string
  /** Per credential format, a hash of the user's credential ids: changes when the user's credentials do. */
  verifiedCredentialsHashes?: VerifiedCredentialsHashes
  /** The user's email address, when the user has one. */
  email?: string
  /** The user name, when the user has one. */
  username?: string
  /** True when issued through server-side authentication. */
  server_auth?: boolean
  /** A hash of the IP address the session was created from. */
  hashed_ip?: string
  /** The session id this session was refreshed from; survives refresh. */
  originalSid?: string
  /** Until when the session can be refreshed (seconds since the epoch). */
  refreshExp?: number
  /** The SDK that obtained the token, e.g. `WalletKit/1.2.3`. */
  sdkVersion?: string
  /** The id of the registered device the session is bound to, if any. */
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
  /** Every credential of the user: wallets, emails, social accounts, phones, passkeys, … */
  verified_credentials: VerifiedCredential[]
  /** The user's alias. */
  alias?: string
  /** The first name (there is no `first_name` claim). */
  given_name?: string
  /** The last name (there is no `last_name` claim). */
  family_name?: string
  /** The user's phone number. */
  phone_number?: string
  /** The user's country. */
  country?: string
  /** The user's job title. */
  job_title?: string
  /** The user's T-shirt size. */
  t_shirt_size?: string
  /** The user's team. */
  team?: string
  /** Whether the user accepted the environment's policies. */
  policies_consent?: boolean
  /** True on the token of a user's first sign-in. */
  new_user?: boolean
  /** ISO 8601. */
  first_visit?: string
  /** ISO 8601. */
  last_visit?: string
  /** The access lists the user is on. */
  lists?: string[]
  /** The custom metadata the application stored on the user. */
  metadata?: Record<string, unknown>
  /** The id of the account the user authenticated with last. */
  last_authenticated_account_id?: string
  /** The user's wallets, in an older form: read `verified_credentials` instead. */
  blockchain_accounts?: JwtBlockchainAccount[]
  /** The wallet the user signed in with, in an older form: read `verified_credentials` instead. */
  verified_account?: JwtBlockchainAccount
  /** A Bitcoin address the user gave in the information form. */
  btc_wallet?: string
  /** A Kadena address the user gave in the information form. */
  kda_wallet?: string
  /** A Litecoin address the user gave in the information form. */
  ltc_wallet?: string
  /** A Nervos CKB address the user gave in the information form. */
  ckb_wallet?: string
  /** A Kaspa address the user gave in the information form. */
  kas_wallet?: string
  /** A Dogecoin address the user gave in the information form. */
  doge_wallet?: string
  /** Whether the user accepts notifications by email. */
  email_notification?: boolean
  /** Whether the user accepts notifications on Discord. */
  discord_notification?: boolean
  /** Whether the user subscribed to the newsletter. */
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
  /** The issuer, checked against the environment's: `app.dynamicauth.com/<environmentId>`. */
  iss: string
  /** The Dynamic user id. */
  sub: string
  /** When the token expires (seconds since the epoch); checked. */
  exp: number
  /** The audience: Dynamic writes one origin; a list is accepted by the verifier too. */
  aud?: string | string[]
  /** Not before (seconds since the epoch); checked when present. */
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
export function isIdTokenClaims(
  claims: Readonly<DynamicJwtClaims>,
): claims is Readonly<DynamicJwtClaims & DynamicIdTokenClaims> {
  return hasCoreClaims(claims) && Array.isArray(claims.verified_credentials) && Array.isArray(claims.missing_fields)
}

/**
 * True when `claims` are an access token's (no `verified_credentials`) with the members Dynamic's
 * `MinifiedDynamicJwt` requires: then they can be read as {@link DynamicAccessTokenClaims}.
 */
export function isAccessTokenClaims(
  claims: Readonly<DynamicJwtClaims>,
): claims is Readonly<DynamicJwtClaims & DynamicAccessTokenClaims> {
  return hasCoreClaims(claims) && claims.verified_credentials === undefined
}
