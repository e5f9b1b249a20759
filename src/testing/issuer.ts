/**
 * A local test issuer for Dynamic's tokens: an RSA key per environment, the JWKS served where
 * Dynamic serves it (in-process, or over HTTP on 127.0.0.1 with the emulator), and tokens minted
 * in Dynamic's shape. For tests and local development only: its keys are generated locally and
 * trusted by nothing else.
 */
import { randomUUID, sign as rsaSign, type KeyObject } from 'node:crypto'
import { encodeBase64url } from '../parse/base64url.js'
import { defaultCredentials, dynamicClaims } from './claims.js'
import { drawKeyPair, type PooledKeyPair } from './key-pool.js'
import { signInResult, type SignInResult } from './sign-in.js'
import { elevatedClaims, type ElevatedMintOptions } from './step-up.js'
import { startEmulatorServer, type TestIssuerListenOptions, type TestIssuerServer } from './emulator-server.js'
import {
  DEFAULT_TEST_KEY_BITS,
  OTHER_ENVIRONMENT_ID,
  TEST_ENVIRONMENT_ID,
  TEST_USER_ID,
  type MintOptions,
  type TestIssuerCore,
  type TestIssuerOptions,
} from './test-issuer.js'

/** A local test issuer: {@link TestIssuerCore}, and its server. */
export interface TestIssuer extends TestIssuerCore {
  /**
   * Serves the emulator over HTTP on 127.0.0.1 (an ephemeral port unless `port` is given): the
   * JWKS at Dynamic's paths, a sign-in endpoint that mints tokens, and key rotation.
   */
  listen(options?: TestIssuerListenOptions): Promise<TestIssuerServer>
}

interface SigningKey {
  readonly kid: string
  readonly privateKey: KeyObject
  readonly publicJwk: { kty: 'RSA'; kid: string; n: string; e: string; alg: 'RS256'; use: 'sig' }
}

function signingKey(pair: PooledKeyPair): SigningKey {
  const kid = randomUUID()
  return {
    kid,
    privateKey: pair.privateKey,
    publicJwk: { kty: 'RSA', kid, n: pair.n, e: pair.e, alg: 'RS256', use: 'sig' },
  }
}

function applyOverrides<T extends Record<string, unknown>>(
  target: T,
  overrides: Record<string, unknown> | undefined,
): T {
  if (!overrides) return target
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete target[name]
    else (target as Record<string, unknown>)[name] = value
  }
  return target
}

/**
 * Creates a local Dynamic emulator with an RSA-4096 key (see {@link TestIssuerOptions.modulusLength}
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
      if (mint.sessionPublicKey !== undefined)
        applyOverrides(claims, { session_public_key: mint.sessionPublicKey ?? undefined })
      if (mint.agent) claims.server_auth = true
      applyOverrides(claims, mint.claims)
      const header = applyOverrides(
        { alg: 'RS256', kid: current.kid, typ: 'JWT' } as Record<string, unknown>,
        mint.header,
      )
      const token = signWith(current, header, claims)
      if (!mint.tampered) return token
      // Change the payload after signing: a different sub, same signature.
      const [h, , s] = token.split('.')
      return `${h}.${encodeBase64url(JSON.stringify({ ...claims, sub: `${String(claims.sub)}-tampered` }))}.${s}`
    },

    signIn(signIn: MintOptions = {}): SignInResult {
      // One session, two forms: the same sid and clock for both tokens.
      const shared: MintOptions = {
        ...signIn,
        sid: signIn.sid ?? randomUUID(),
        now: signIn.now ?? Math.floor(Date.now() / 1000),
      }
      const jwt = issuer.mint({ ...shared, kind: 'id' })
      const minifiedJwt = issuer.mint({ ...shared, kind: 'access' })
      return signInResult(jwt, minifiedJwt)
    },

    mintElevated(elevated: ElevatedMintOptions): string {
      const environment = elevated.environmentId ?? environmentId
      const claims = elevatedClaims({
        options: elevated,
        issuer: `${issuerHost}/${environment}`,
        environmentId: environment,
        kid: current.kid,
        sub: elevated.sub ?? TEST_USER_ID,
        audience: elevated.audience ?? defaultAudience,
      })
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

    authOptions: () => ({ environmentId, staticKeys: { jwks: issuer.jwks() } }),

    listen: (listenOptions = {}) => startEmulatorServer(issuer, listenOptions),
  }
  return issuer
}
