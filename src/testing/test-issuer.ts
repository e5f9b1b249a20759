/**
 * A local stand-in for Dynamic's token issuer: an RSA key per environment, the JWKS served where
 * Dynamic serves it (in-process or over HTTP on 127.0.0.1), and tokens minted in Dynamic's shape.
 * For tests and local development only: its keys are generated locally and trusted by nothing else.
 */
import { randomUUID, sign as rsaSign, type KeyObject } from 'node:crypto'
import { encodeBase64url } from '../parse/base64url.js'
import type { DynamicAccessTokenClaims, DynamicIdTokenClaims, DynamicJwtClaims, VerifiedCredential } from '../session/claims.js'
import { defaultCredentials, dynamicClaims, type TestProfile } from './claims.js'
import { drawKeyPair, type PooledKeyPair } from './key-pool.js'
import { signInResult, type SignInResult } from './sign-in.js'
import { elevatedClaims, type ElevatedMintOptions } from './step-up.js'
import { startStandIn, type StandInListenOptions, type TestIssuerServer } from './stand-in-server.js'

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** The environment id. Default: a fixed test UUID ({@link TEST_ENVIRONMENT_ID}). */
  environmentId?: string
  /** The issuer host. Default `app.dynamicauth.com` (as Dynamic's tokens say). */
  issuerHost?: string
  /**
   * RSA modulus length in bits. Default 4096, the size Dynamic signs with. `2048` is for test
   * speed only (a 2048-bit verification costs about a third of a 4096-bit one, and generating the
   * key is several times faster); figures measured with it are not what a Dynamic customer gets.
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

interface SigningKey {
  readonly kid: string
  readonly privateKey: KeyObject
  readonly publicJwk: { kty: 'RSA'; kid: string; n: string; e: string; alg: 'RS256'; use: 'sig' }
}

/** A local Dynamic stand-in. */
export interface TestIssuer {
  readonly environmentId: string
  /** `app.dynamicauth.com/<environmentId>` unless configured otherwise. */
  readonly issuer: string
  /** The kid new tokens are signed with. */
  readonly kid: string
  /** The size of its RSA keys, in bits (4096 unless configured otherwise). */
  readonly modulusLength: number
  /** The JWKS document Dynamic would serve. */
  jwks(): { keys: Array<Record<string, unknown>> }
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
  authOptions(): { environmentId: string; jwks: { keys: Array<Record<string, unknown>> } }
  /**
   * Serves the stand-in over HTTP on 127.0.0.1 (an ephemeral port unless `port` is given): the
   * JWKS at Dynamic's paths, a sign-in endpoint that mints tokens, and key rotation.
   */
  listen(options?: StandInListenOptions): Promise<TestIssuerServer>
}

/** The environment id test issuers use unless told otherwise. */
export const TEST_ENVIRONMENT_ID = '2762a57b-faa4-41ce-9f16-abff9300e2c9'
/** The user id minted tokens carry unless told otherwise. */
export const TEST_USER_ID = '8f2b1a6e-3c4d-4e5f-9a0b-1c2d3e4f5a6b'
/** The environment `otherEnvironment: true` mints for: a valid UUID that is not yours. */
export const OTHER_ENVIRONMENT_ID = '5a1f0c3e-9d8b-4f6a-b2c1-7e6d5c4b3a29'

/** The default key size of test issuers, the stand-in and the demo: Dynamic's own. */
export const DEFAULT_TEST_KEY_BITS = 4096

function signingKey(pair: PooledKeyPair): SigningKey {
  const kid = randomUUID()
  return { kid, privateKey: pair.privateKey, publicJwk: { kty: 'RSA', kid, n: pair.n, e: pair.e, alg: 'RS256', use: 'sig' } }
}

function applyOverrides<T extends Record<string, unknown>>(target: T, overrides: Record<string, unknown> | undefined): T {
  if (!overrides) return target
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete target[name]
    else (target as Record<string, unknown>)[name] = value
  }
  return target
}

/**
 * Creates a local Dynamic stand-in with an RSA-4096 key (see {@link TestIssuerOptions.modulusLength}
 * and {@link TestIssuerOptions.freshKeys}).
 */
export function createTestIssuer(options: TestIssuerOptions = {}): TestIssuer {
  const environmentId = options.environmentId ?? TEST_ENVIRONMENT_ID
  const issuerHost = options.issuerHost ?? 'app.dynamicauth.com'
  const modulusLength = options.modulusLength ?? DEFAULT_TEST_KEY_BITS
  const defaultAudience = options.audience ?? 'http://localhost:3000'
  // Every key this issuer has signed with: a rotation never draws one of them again.
  const held = new Set<PooledKeyPair>()
  const newKey = (): SigningKey => {
    const pair = drawKeyPair(modulusLength, held, options.freshKeys === true)
    held.add(pair)
    return signingKey(pair)
  }
  let current = newKey()
  const published: SigningKey[] = [current]

  const signWith = (key: SigningKey, header: Record<string, unknown>, payload: unknown): string => {
    const signingInput = `${encodeBase64url(JSON.stringify(header))}.${encodeBase64url(JSON.stringify(payload))}`
    const signature = rsaSign('sha256', Buffer.from(signingInput), key.privateKey)
    return `${signingInput}.${encodeBase64url(signature)}`
  }

  const issuer: TestIssuer = {
    environmentId,
    issuer: `${issuerHost}/${environmentId}`,
    get kid() {
      return current.kid
    },
    modulusLength,
    jwks: () => ({ keys: published.map((k) => ({ ...k.publicJwk })) }),

    mint(mint: MintOptions = {}): string {
      const now = mint.now ?? Math.floor(Date.now() / 1000)
      const environment = mint.environmentId ?? (mint.otherEnvironment ? OTHER_ENVIRONMENT_ID : environmentId)
      const expiresIn = mint.expiresIn ?? 7200
      let scope = mint.scope ?? (mint.mfaPending ? 'requiresAdditionalAuth' : 'user:basic')
      if (mint.scopes?.length) scope = [scope, ...mint.scopes].filter(Boolean).join(' ')
      const claims = dynamicClaims({
        kind: mint.kind ?? 'access',
        environmentId: environment,
        issuer: `${issuerHost}/${environment}`,
        kid: current.kid,
        now: mint.expired ? now - expiresIn - (mint.expiredBy ?? 60) : now,
        expiresIn,
        sub: mint.sub ?? TEST_USER_ID,
        sid: mint.sid ?? randomUUID(),
        scope,
        audience: typeof mint.audience === 'string' ? mint.audience : defaultAudience,
        credentials: mint.credentials ?? defaultCredentials(),
        ...(mint.profile ? { profile: mint.profile } : {}),
      }) as Record<string, unknown>
      if (Array.isArray(mint.audience)) claims.aud = mint.audience
      if (mint.sessionPublicKey !== undefined) applyOverrides(claims, { session_public_key: mint.sessionPublicKey ?? undefined })
      if (mint.agent) claims.server_auth = true
      applyOverrides(claims, mint.claims)
      const header = applyOverrides({ alg: 'RS256', kid: current.kid, typ: 'JWT' } as Record<string, unknown>, mint.header)
      const token = signWith(current, header, claims)
      if (!mint.tampered) return token
      // Change the payload after signing: a different sub, same signature.
      const [h, , s] = token.split('.')
      return `${h}.${encodeBase64url(JSON.stringify({ ...claims, sub: `${String(claims.sub)}-tampered` }))}.${s}`
    },

    signIn(signIn: MintOptions = {}): SignInResult {
      // One session, two forms: the same sid and clock for both tokens.
      const shared: MintOptions = { ...signIn, sid: signIn.sid ?? randomUUID(), now: signIn.now ?? Math.floor(Date.now() / 1000) }
      const jwt = issuer.mint({ ...shared, kind: 'id' })
      const minifiedJwt = issuer.mint({ ...shared, kind: 'access' })
      return signInResult(jwt, minifiedJwt)
    },

    mintElevated(elevated: ElevatedMintOptions): string {
      const environment = elevated.environmentId ?? environmentId
      const claims = elevatedClaims({ options: elevated, issuer: `${issuerHost}/${environment}`, environmentId: environment, kid: current.kid, sub: elevated.sub ?? TEST_USER_ID, audience: elevated.audience ?? defaultAudience })
      return signWith(current, { alg: 'RS256', kid: current.kid, typ: 'JWT' }, claims)
    },

    sign: (header, payload) => signWith(current, header, payload),

    rotateKey({ keepPrevious = true } = {}): string {
      const next = newKey()
      if (!keepPrevious) published.length = 0
      published.push(next)
      current = next
      return next.kid
    },

    removeKey(kid: string): void {
      const index = published.findIndex((k) => k.kid === kid)
      if (index >= 0) published.splice(index, 1)
    },

    authOptions: () => ({ environmentId, jwks: issuer.jwks() }),

    listen: (listenOptions = {}) => startStandIn(issuer, listenOptions),
  }
  return issuer
}
