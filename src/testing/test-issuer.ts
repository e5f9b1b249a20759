/**
 * The test issuer's shared types and constants: what every part of the testing kit (the issuer,
 * its HTTP server, the emulator) imports, so that none of them imports another for a type.
 */
import type {
  DynamicAccessTokenClaims,
  DynamicIdTokenClaims,
  DynamicJwtClaims,
  VerifiedCredential,
} from '../session/claims.js'
import type { TestProfile } from './claims.js'
import type { SignInResult } from './sign-in.js'
import type { ElevatedMintOptions } from './step-up.js'

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** The environment id. Default: a fixed test UUID ({@link TEST_ENVIRONMENT_ID}). */
  environmentId?: string
  /** The issuer host. Default `app.dynamicauth.com` (as Dynamic's tokens say). */
  issuerHost?: string
  /**
   * RSA modulus length in bits. Default 4096, the size Dynamic signs with. `2048` is for test
   * speed only: figures measured with it are not what a Dynamic customer gets.
   */
  modulusLength?: 2048 | 3072 | 4096 | (number & {})
  /**
   * Generate this issuer's keys (the first and every rotation's) for it alone. By default keys
   * come from a small per-process pool (generating a 4096-bit key takes a second or more): an
   * issuer's own keys are always distinct from each other and every key gets its own kid, but two
   * issuers of one process may share key material. Set this where a test plays another signer
   * that presents your kid (a forgery that shared material would let verify). Default false.
   */
  freshKeys?: boolean
  /** The default `aud` of minted tokens. Default `http://localhost:3000`. */
  audience?: string
}

/** What {@link TestIssuer.mint} can change. Every claim can also be set or removed through `claims`. */
export interface MintOptions {
  /** `access` (the minified JWT, the default) or `id` (with the full verified credentials). */
  kind?: 'access' | 'id'
  /** The user id. Default: a fixed test user ({@link TEST_USER_ID}). */
  sub?: string
  /** The session id. Default: a new UUID. */
  sid?: string
  /** Lifetime in seconds. Default 7200, as Dynamic's observed tokens. */
  expiresIn?: number
  /** Already expired (by `expiredBy` seconds, default 60). */
  expired?: boolean
  /** With `expired`: how many seconds ago the token expired. Default 60. */
  expiredBy?: number
  /** MFA pending: scope `requiresAdditionalAuth`, without `user:basic`. */
  mfaPending?: boolean
  /** The scope string. Default `user:basic`. */
  scope?: string
  /** Extra scopes appended to the default scope (a step-up `wallet:export`, say). */
  scopes?: string[]
  /** Sign for another environment (its id in iss and environment_id, signed by this key). */
  environmentId?: string
  /** Sign for {@link OTHER_ENVIRONMENT_ID}: the "token from someone else's environment" case. */
  otherEnvironment?: boolean
  /** The `session_public_key` (compressed P-256 hex); `null` mints none. Default: the kit's `TEST_SESSION_KEY`. */
  sessionPublicKey?: string | null
  /** An agent's server-side session: `server_auth: true`. */
  agent?: boolean
  /** The `aud`. */
  audience?: string | string[]
  /** Credentials (ID tokens carry them; access tokens carry their hashes). Default: a wallet and an email. */
  credentials?: VerifiedCredential[]
  /** ID tokens only: the profile claims (email, username, names). Default: Ada Lovelace. */
  profile?: TestProfile
  /**
   * Claims to set, with any value (a malformed one too, to test a refusal); a claim set to
   * `undefined` is removed. Applied last. See {@link DynamicAccessTokenClaims} and
   * {@link DynamicIdTokenClaims} for what Dynamic puts in each token.
   */
  claims?: { [Name in keyof DynamicJwtClaims]?: unknown }
  /** Header members to set (or remove with `undefined`). */
  header?: Record<string, unknown>
  /** Change the payload after signing (another `sub`), so that the signature no longer matches. */
  tampered?: boolean
  /** The clock, in seconds. Default now. */
  now?: number
}

/** The environment id test issuers use unless told otherwise. */
export const TEST_ENVIRONMENT_ID = '2762a57b-faa4-41ce-9f16-abff9300e2c9'
/** The user id minted tokens carry unless told otherwise. */
export const TEST_USER_ID = '8f2b1a6e-3c4d-4e5f-9a0b-1c2d3e4f5a6b'
/** The environment `otherEnvironment: true` mints for: a valid UUID that is not yours. */
export const OTHER_ENVIRONMENT_ID = '5a1f0c3e-9d8b-4f6a-b2c1-7e6d5c4b3a29'

/** The default key size of test issuers, the emulator and the demo: Dynamic's own. */
export const DEFAULT_TEST_KEY_BITS = 4096

/**
 * A test issuer without its server: keys, the JWKS, and tokens in Dynamic's shape. What the
 * issuer's HTTP server (the emulator) needs of it.
 */
export interface TestIssuerCore {
  /** The environment id its tokens are issued for. */
  readonly environmentId: string
  /** `app.dynamicauth.com/<environmentId>` unless configured otherwise. */
  readonly issuer: string
  /** The kid new tokens are signed with. */
  readonly kid: string
  /** The size of its RSA keys, in bits (4096 unless configured otherwise). */
  readonly modulusLength: number
  /** The JWKS document Dynamic would serve. */
  jwks(): {
    /** The published public keys (JWKs with their kids). */
    keys: Array<Record<string, unknown>>
  }
  /** Mints a token shaped like Dynamic's. */
  mint(options?: MintOptions): string
  /** Mints an elevated access token (step-up): `scope` of TokenScope values, `singleUse`, 300 s or 600 s. */
  mintElevated(options: ElevatedMintOptions): string
  /**
   * Signs a user in the way Dynamic's SDK hands the result over: an ID token (`jwt`) and an
   * access token (`minifiedJwt`) of one session, `expiresAt` (seconds) and the `user`.
   * The options apply to both tokens (`kind` is ignored).
   */
  signIn(options?: MintOptions): SignInResult
  /** Signs any header and payload with the current key (for crafting unusual tokens). */
  sign(header: Record<string, unknown>, payload: unknown): string
  /** Starts signing with a new key; the old one stays in the JWKS unless `keepPrevious` is false. Returns the new kid. */
  rotateKey(options?: { keepPrevious?: boolean }): string
  /** Removes a key from the JWKS. */
  removeKey(kid: string): void
  /** Options for createDynamicAuth that verify in-process, with no port. */
  authOptions(): {
    /** The issuer's environment id. */
    environmentId: string
    /** The issuer's keys, given as static keys: no JWKS request. */
    staticKeys: {
      /** The issuer's JWKS document. */
      jwks: {
        /** The published public keys. */
        keys: Array<Record<string, unknown>>
      }
    }
  }
}
