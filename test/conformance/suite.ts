/**
 * The conformance suite: one set of cases, written once against the public API, that every
 * supported runtime must pass (Node 20 and 22, Bun, Deno, workerd). Plain code with no test
 * framework and no Node-only API: it receives the library as loaded on the runtime under test and
 * drives the local Dynamic emulator (see `control-server.ts`) over HTTP with `fetch`.
 */
import type * as DynamicGuard from '../../src/index.js'
import type * as DynamicGuardExtend from '../../src/extend.js'
import type * as DynamicGuardHttp from '../../src/http/index.js'
import type * as DynamicGuardFetch from '../../src/adapters/fetch.js'
import type * as DynamicGuardSessionKey from '../../src/session-key/client.js'

/**
 * The library as the runtime under test loaded it: `dynamic-guard`, `dynamic-guard/extend`,
 * `dynamic-guard/http` and `dynamic-guard/session-key` (`{ ...root, ...extend, ...http, ...sessionKey }`).
 */
export type Library = Pick<
  typeof DynamicGuard,
  | 'createDynamicAuth'
  | 'ERROR_CODES'
  | 'ERROR_STATUS'
  | 'isDynamicAuthError'
  | 'DynamicAuthError'
  | 'DynamicAuthConfigError'
> &
  Pick<typeof DynamicGuardExtend, 'decodeUnverified' | 'webCryptoBackend' | 'createMemoryOneTimeStore'> &
  Pick<typeof DynamicGuardHttp, 'authenticate'> &
  Pick<typeof DynamicGuardSessionKey, 'signRequest' | 'generateSessionKeyPair' | 'jwkSessionSigner'>

/** `dynamic-guard/fetch` as the runtime under test loaded it. */
export type FetchAdapter = Pick<
  typeof DynamicGuardFetch,
  'withDynamicAuth' | 'requireScopes' | 'requireElevated' | 'requireSessionSignature'
>

/** The outcome of one case. */
export interface CaseResult {
  readonly name: string
  readonly ok: boolean
  /** Why it failed. */
  readonly error?: string
}

/** What a run reports back to the test that started it. */
export interface ConformanceReport {
  /** The runtime that ran the suite, as it describes itself ("bun 1.4.5"). */
  readonly runtime: string
  readonly cases: CaseResult[]
  /** Every error code some case produced. */
  readonly codesSeen: string[]
}

/** Mint options as the emulator takes them over HTTP; `null` removes a claim or header member. */
interface Mint {
  kind?: 'access' | 'id'
  sub?: string
  sid?: string
  expired?: boolean
  mfaPending?: boolean
  scopes?: string[]
  audience?: string | string[]
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
  tampered?: boolean
  /** The token's `session_public_key` (compressed hex); null for none. Default: the test kit's key. */
  sessionPublicKey?: string | null
}

interface EmulatorState {
  environmentId: string
  issuer: string
  userId: string
  kid: string
  jwksUrl: string
  jwksRequests: number
  publicKeyPem: string
  keyForms: {
    accepted: Array<{ name: string; text: string }>
    refused: Array<{ name: string; text: string; message: string }>
  }
}

type Outage = { mode: 'off' } | { mode: 'status'; status: number } | { mode: 'hang' }

/** Elevated-token mint options as the emulator takes them over HTTP; `null` in claims removes one. */
interface MintElevated {
  scopes: string[]
  singleUse?: boolean
  expired?: boolean
  sub?: string
  sid?: string
  originalSid?: string
  claims?: Record<string, unknown>
}

/** The local Dynamic emulator, driven over HTTP. */
class EmulatorControl {
  constructor(private readonly origin: string) {}

  private async call<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.origin}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`emulator ${path} answered ${response.status}: ${text}`)
    return JSON.parse(text) as T
  }

  state = (): Promise<EmulatorState> => this.call('/control/state')
  mint = async (options: Mint = {}): Promise<string> =>
    (await this.call<{ token: string }>('/control/mint', options)).token
  mintElevated = async (options: MintElevated): Promise<string> =>
    (await this.call<{ token: string }>('/control/mint-elevated', options)).token
  sign = async (header: Record<string, unknown>, payload: unknown): Promise<string> =>
    (await this.call<{ token: string }>('/control/sign', { header, payload })).token
  rotate = async (keepPrevious: boolean): Promise<string> =>
    (await this.call<{ kid: string }>('/control/rotate', { keepPrevious })).kid
  outage = (outage: Outage): Promise<unknown> => this.call('/control/outage', outage)
}

// ---- tiny runtime-neutral assertions ----

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

function equal(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected)
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
}

const encoder = new TextEncoder()

function base64url(bytes: Uint8Array | string): string {
  const data = typeof bytes === 'string' ? encoder.encode(bytes) : bytes
  let binary = ''
  for (const byte of data) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function decodeBytes(segment: string): Uint8Array {
  const padded = segment.replace(/-/g, '+').replace(/_/g, '/')
  return Uint8Array.from(atob(padded + '='.repeat((4 - (padded.length % 4)) % 4)), (c) => c.charCodeAt(0))
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(decodeBytes(segment))) as Record<string, unknown>
}

function runtimeName(): string {
  const g = globalThis as {
    Bun?: { version: string }
    Deno?: { version: { deno: string } }
    navigator?: { userAgent?: string }
    process?: { versions?: { node?: string } }
  }
  if (g.Bun) return `bun ${g.Bun.version}`
  if (g.Deno) return `deno ${g.Deno.version.deno}`
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd'
  if (g.process?.versions?.node) return `node ${g.process.versions.node}`
  return 'unknown'
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs every case against `lib`, with the emulator whose control API is at `emulatorOrigin`.
 * Never throws: each case's failure is reported with its name.
 */
export async function runConformance(
  lib: Library,
  fetchAdapter: FetchAdapter,
  emulatorOrigin: string,
): Promise<ConformanceReport> {
  const emulatorServer = new EmulatorControl(emulatorOrigin)
  const initial = await emulatorServer.state()
  const { environmentId, jwksUrl } = initial
  const codesSeen = new Set<string>()
  const cases: CaseResult[] = []

  /** A verifier of the emulator's environment over its HTTP JWKS. */
  const newAuth = (options: Record<string, unknown> = {}) =>
    lib.createDynamicAuth({
      environmentId,
      ...options,
      jwks: { url: jwksUrl, ...(options.jwks as object | undefined) },
    })

  /** Expects a refusal with `code`; checks the error's shape and that it never carries the token. */
  async function refused(
    promise: Promise<unknown>,
    code: string,
    token?: unknown,
  ): Promise<InstanceType<Library['DynamicAuthError']>> {
    let error: unknown
    try {
      await promise
    } catch (caught) {
      error = caught
    }
    check(error !== undefined, `expected ${code}, but the token was accepted`)
    check(lib.isDynamicAuthError(error), `expected a DynamicAuthError ${code}, got ${String(error)}`)
    const refusal = error as InstanceType<Library['DynamicAuthError']>
    equal(refusal.code, code, 'error code')
    codesSeen.add(refusal.code)
    check(refusal instanceof lib.DynamicAuthError, 'the error is an instance of DynamicAuthError')
    equal(refusal.status, lib.ERROR_STATUS[refusal.code], `status of ${code}`)
    check(typeof refusal.message === 'string' && refusal.message.length > 10, 'the error has a message')
    if (typeof token === 'string' && token.length > 0) {
      check(!refusal.message.includes(token), 'the message must not contain the token')
      check(!JSON.stringify(refusal).includes(token), 'the JSON form must not contain the token')
      const [, payload, signature] = token.split('.')
      if (signature) check(!refusal.message.includes(signature), 'the message must not contain the signature')
      if (payload && payload.length > 20)
        check(!refusal.message.includes(payload), 'the message must not contain the payload')
    }
    return refusal
  }

  async function test(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body()
      cases.push({ name, ok: true })
    } catch (error) {
      // The message and the first frames of the stack: enough to find the line, short enough to read.
      const where =
        error instanceof Error && error.stack
          ? error.stack
              .split('\n')
              .filter((line) => /^\s+at /.test(line))
              .slice(0, 3)
              .join('\n')
          : ''
      cases.push({
        name,
        ok: false,
        error: error instanceof Error ? `${error.message}${where ? `\n${where}` : ''}` : String(error),
      })
    }
  }

  // One shared verifier for the plain cases: the first verification fetches the keys.
  const auth = newAuth()

  // ---- valid tokens ----

  await test('a valid access token verifies and yields its session', async () => {
    const session = await auth.verifyToken(await emulatorServer.mint({ sid: 'session-1' }))
    equal(session.userId, initial.userId, 'userId')
    equal(session.sessionId, 'session-1', 'sessionId')
    equal(session.environmentId, environmentId, 'environmentId')
    equal(session.tokenKind, 'access', 'tokenKind')
    check(session.scopes.includes('user:basic'), 'scopes include user:basic')
    check(session.hasScope('user:basic'), 'hasScope(user:basic)')
    check(session.expiresAt instanceof Date && session.expiresAt.getTime() > Date.now(), 'expiresAt is a future Date')
    equal(session.claims.iss, initial.issuer, 'claims.iss')
    check(Object.isFrozen(session.claims), 'claims are read-only')
  })

  await test('a valid ID token yields the wallets', async () => {
    const session = await auth.verifyToken(await emulatorServer.mint({ kind: 'id' }))
    equal(session.tokenKind, 'id', 'tokenKind')
    check(session.walletAddresses.length > 0, 'the ID token carries wallet addresses')
    check(session.credentials.length > 0, 'the ID token carries verified credentials')
  })

  await test('the same token verifies again (from the cache) with the same session', async () => {
    const token = await emulatorServer.mint()
    const first = await auth.verifyToken(token)
    const second = await auth.verifyToken(token)
    equal(second.userId, first.userId, 'userId')
    equal(second.sessionId, first.sessionId, 'sessionId')
  })

  await test('many tokens verified at once share one JWKS fetch and all verify', async () => {
    const before = (await emulatorServer.state()).jwksRequests
    const fresh = newAuth({ advanced: { tokenCacheSize: 0 } })
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => emulatorServer.mint({ sub: `user-${i}` })))
    const sessions = await Promise.all(tokens.map((token) => fresh.verifyToken(token)))
    sessions.forEach((session, i) => {
      equal(session.userId, `user-${i}`, `userId of token ${i}`)
    })
    equal(
      (await emulatorServer.state()).jwksRequests - before,
      1,
      'JWKS requests for 40 concurrent first verifications',
    )
  })

  await test('the WebCrypto backend, named explicitly, verifies and refuses like the default one', async () => {
    const web = newAuth({ advanced: { signatureBackend: lib.webCryptoBackend, tokenCacheSize: 0 } })
    const session = await web.verifyToken(await emulatorServer.mint({ sub: 'web-user' }))
    equal(session.userId, 'web-user', 'userId')
    const tampered = await emulatorServer.mint({ tampered: true })
    await refused(web.verifyToken(tampered), 'signature_invalid', tampered)
  })

  await test('a PEM public key (staticKeys.publicKey) verifies without any fetch', async () => {
    const pemAuth = lib.createDynamicAuth({ environmentId, staticKeys: { publicKey: initial.publicKeyPem } })
    const session = await pemAuth.verifyToken(await emulatorServer.mint({ sub: 'pem-user' }))
    equal(session.userId, 'pem-user', 'userId')
  })

  await test('staticKeys.publicKey in every form a customer has it: the same key, or the same refusal, as on Node', async () => {
    const token = await emulatorServer.mint({ sub: 'pem-form-user' })
    for (const form of initial.keyForms.accepted) {
      const formAuth = lib.createDynamicAuth({
        environmentId,
        staticKeys: { publicKey: form.text },
        advanced: { tokenCacheSize: 0 },
      })
      equal((await formAuth.verifyToken(token)).userId, 'pem-form-user', `userId with ${form.name}`)
    }
    for (const form of initial.keyForms.refused) {
      let error: unknown
      try {
        lib.createDynamicAuth({ environmentId, staticKeys: { publicKey: form.text } })
      } catch (caught) {
        error = caught
      }
      check(
        error instanceof lib.DynamicAuthConfigError,
        `${form.name}: createDynamicAuth must throw DynamicAuthConfigError`,
      )
      check(
        /^dynamic-guard: staticKeys\.publicKey /.test(form.message),
        `${form.name}: refused on Node too (${form.message})`,
      )
      equal((error as Error).message, form.message, `${form.name}: message`)
    }
  })

  await test('key_unusable, never jwks_unavailable: a static key the crypto backend fails to import', async () => {
    const failing = {
      ...lib.webCryptoBackend,
      name: 'failing',
      importRsaPublicKey: () => Promise.reject(new Error('import refused')),
    }
    const broken = lib.createDynamicAuth({
      environmentId,
      staticKeys: { publicKey: initial.publicKeyPem },
      advanced: { signatureBackend: failing },
    })
    const token = await emulatorServer.mint()
    const error = await refused(broken.verifyToken(token), 'key_unusable', token)
    check(/import refused/.test(error.message), 'the message carries the cause')
    await refused(broken.warmUp(), 'key_unusable')
  })

  await test('per-call requiredScopes: present passes, missing is insufficient_scope with missingScopes', async () => {
    const token = await emulatorServer.mint({ scopes: ['wallet:sign'] })
    const session = await auth.verifyToken(token, { requiredScopes: ['wallet:sign'] })
    check(session.hasScope('wallet:sign'), 'hasScope(wallet:sign)')
    const error = await refused(
      auth.verifyToken(token, { requiredScopes: ['wallet:sign', 'admin'] }),
      'insufficient_scope',
      token,
    )
    equal(error.status, 403, 'status')
    equal(JSON.stringify(error.missingScopes), JSON.stringify(['admin']), 'missingScopes')
  })

  // ---- every error code ----

  await test('token_missing: an empty token', async () => {
    await refused(auth.verifyToken(''), 'token_missing')
  })

  await test('token_malformed: not a JWT, padded base64url, a non-string, an oversized token', async () => {
    await refused(auth.verifyToken('not-a-jwt'), 'token_malformed', 'not-a-jwt')
    const token = await emulatorServer.mint()
    const [h, p, s] = token.split('.') as [string, string, string]
    await refused(auth.verifyToken(`${h}==.${p}.${s}`), 'token_malformed', token)
    await refused(auth.verifyToken(`${h}.${p}.${s}.${s}`), 'token_malformed', token)
    await refused(auth.verifyToken(123 as unknown as string), 'token_malformed')
    await refused(auth.verifyToken(`${h}.${p}${'A'.repeat(20_000)}.${s}`), 'token_malformed')
  })

  await test('token_malformed: a token without exp, and one without sub', async () => {
    const noExp = await emulatorServer.mint({ claims: { exp: null } })
    await refused(auth.verifyToken(noExp), 'token_malformed', noExp)
    const noSub = await emulatorServer.mint({ claims: { sub: null } })
    await refused(auth.verifyToken(noSub), 'token_malformed', noSub)
  })

  await test('token_expired', async () => {
    const token = await emulatorServer.mint({ expired: true })
    const error = await refused(auth.verifyToken(token), 'token_expired', token)
    equal(error.status, 401, 'status')
  })

  await test('token_not_active: nbf in the future', async () => {
    const token = await emulatorServer.mint({ claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } })
    await refused(auth.verifyToken(token), 'token_not_active', token)
  })

  await test('issuer_mismatch', async () => {
    const token = await emulatorServer.mint({ claims: { iss: `evil.example/${environmentId}` } })
    await refused(auth.verifyToken(token), 'issuer_mismatch', token)
  })

  await test('environment_mismatch: a token of another Dynamic environment', async () => {
    const token = await emulatorServer.mint({ claims: { environment_id: '00000000-0000-4000-8000-000000000000' } })
    await refused(auth.verifyToken(token), 'environment_mismatch', token)
  })

  await test('audience_mismatch', async () => {
    const strict = newAuth({ audience: 'https://app.example' })
    const ok = await strict.verifyToken(await emulatorServer.mint({ audience: 'https://app.example' }))
    equal(ok.userId, initial.userId, 'userId with the right audience')
    const token = await emulatorServer.mint({ audience: 'https://evil.example' })
    await refused(strict.verifyToken(token), 'audience_mismatch', token)
  })

  await test('insufficient_scope: MFA pending (no user:basic)', async () => {
    const token = await emulatorServer.mint({ mfaPending: true })
    const error = await refused(auth.verifyToken(token), 'insufficient_scope', token)
    check(error.missingScopes?.includes('user:basic'), 'missingScopes lists user:basic')
  })

  await test('session_revoked: a revoked session is refused, other sessions are not', async () => {
    const revoking = newAuth()
    const token = await emulatorServer.mint({ sid: 'session-to-revoke' })
    await revoking.verifyToken(token)
    await revoking.revokeSession('session-to-revoke')
    await refused(revoking.verifyToken(token), 'session_revoked', token)
    const other = await revoking.verifyToken(await emulatorServer.mint({ sid: 'another-session' }))
    equal(other.sessionId, 'another-session', 'sessionId of another session')
  })

  await test('revocation_unavailable: a revocation store cut off from its source refuses', async () => {
    const cutOff = {
      check: () => 'unavailable' as const,
      add: async () => undefined,
      status: () => ({ kind: 'cut-off', entries: 0, connected: false, stale: true, since: Date.now() }),
    }
    const token = await emulatorServer.mint()
    await refused(newAuth({ revocation: cutOff }).verifyToken(token), 'revocation_unavailable', token)
  })

  // ---- HTTP requests (Web Request, as Workers, Deno.serve and Bun.serve hand them over) ----

  await test('authenticate(Request): a Bearer token or the Dynamic cookie yields the session', async () => {
    const token = await emulatorServer.mint({ sub: 'http-user' })
    const byHeader = await lib.authenticate(
      auth,
      new Request('https://api.example/me', { headers: { authorization: `Bearer ${token}` } }),
    )
    equal(byHeader.userId, 'http-user', 'userId from the Authorization header')
    const byCookie = await lib.authenticate(
      auth,
      new Request('https://api.example/me', { headers: { cookie: `theme=dark; DYNAMIC_JWT_TOKEN=${token}` } }),
    )
    equal(byCookie.userId, 'http-user', 'userId from the cookie')
    await refused(lib.authenticate(auth, new Request('https://api.example/me')), 'token_missing')
    equal(
      await lib.authenticate(auth, new Request('https://api.example/me'), { optional: true }),
      undefined,
      'optional mode without a token',
    )
  })

  await test('invalid_request: a token in both the header and the query string', async () => {
    const token = await emulatorServer.mint()
    const request = new Request(`https://api.example/me?access_token=${token}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const error = await refused(
      lib.authenticate(auth, request, { queryParam: 'access_token' }),
      'invalid_request',
      token,
    )
    equal(error.status, 400, 'status')
  })

  await test('origin_not_allowed: a cookie-authenticated POST from another site (CSRF)', async () => {
    const token = await emulatorServer.mint()
    const headers = { cookie: `DYNAMIC_JWT_TOKEN=${token}`, origin: 'https://evil.example' }
    const options = { allowedOrigins: ['https://app.example'] }
    await refused(
      lib.authenticate(auth, new Request('https://api.example/transfer', { method: 'POST', headers }), options),
      'origin_not_allowed',
      token,
    )
    const allowed = new Request('https://api.example/transfer', {
      method: 'POST',
      headers: { ...headers, origin: 'https://app.example' },
    })
    equal((await lib.authenticate(auth, allowed, options)).userId, initial.userId, 'userId from an allowed origin')
  })

  await test('dynamic-guard/fetch: a protected handler gets the session; refusals follow RFC 6750', async () => {
    const handler = fetchAdapter.withDynamicAuth((_request, session) => Response.json({ userId: session.userId }), auth)
    const url = 'https://api.example/me'
    const token = await emulatorServer.mint({ sub: 'adapter-user' })
    const ok = await handler(new Request(url, { headers: { authorization: `Bearer ${token}` } }))
    equal(ok.status, 200, 'status with a valid token')
    equal(((await ok.json()) as { userId: string }).userId, 'adapter-user', 'userId seen by the handler')

    const anonymous = await handler(new Request(url))
    equal(anonymous.status, 401, 'status without a token')
    check(
      /^Bearer realm=/.test(anonymous.headers.get('www-authenticate') ?? ''),
      'WWW-Authenticate: Bearer realm=... without a token',
    )
    check(
      !/error=/.test(anonymous.headers.get('www-authenticate') ?? ''),
      'no error attribute without a token (RFC 6750 §3.1)',
    )

    const tampered = await emulatorServer.mint({ tampered: true })
    const bad = await handler(new Request(url, { headers: { authorization: `Bearer ${tampered}` } }))
    equal(bad.status, 401, 'status with a tampered token')
    check(
      /error="invalid_token"/.test(bad.headers.get('www-authenticate') ?? ''),
      'error="invalid_token" for a tampered token',
    )
    check(!(await bad.text()).includes(tampered), 'the refusal body does not echo the token')

    const scoped = fetchAdapter.requireScopes('wallet:sign')(() => new Response('signed'), auth)
    const forbidden = await scoped(new Request(url, { headers: { authorization: `Bearer ${token}` } }))
    equal(forbidden.status, 403, 'status without the required scope')
    check(
      /error="insufficient_scope"/.test(forbidden.headers.get('www-authenticate') ?? ''),
      'error="insufficient_scope"',
    )
    const allowed = await scoped(
      new Request(url, {
        headers: { authorization: `Bearer ${await emulatorServer.mint({ scopes: ['wallet:sign'] })}` },
      }),
    )
    equal(allowed.status, 200, 'status with the required scope')
  })

  // ---- step-up: elevated access tokens ----

  await test('elevated access tokens: scopes, the same session, single use (by jti or by hash), and every refusal', async () => {
    const verifier = newAuth()
    const session = await verifier.verifyToken(await emulatorServer.mint({ sid: 'elevated-session' }))
    const wallet = { scopes: ['wallet:export'] }
    const mintElevated = (options: Partial<MintElevated> = {}) =>
      emulatorServer.mintElevated({ scopes: ['wallet:export'], sid: 'elevated-session', ...options })

    const timeBound = await mintElevated({ scopes: ['user:update'], singleUse: false })
    for (let i = 0; i < 2; i++) {
      const grant = await verifier.verifyElevatedToken(timeBound, session, { scopes: ['user:update'] })
      equal(grant.singleUse, false, 'a time-bound grant')
    }
    const once = await mintElevated()
    equal((await verifier.verifyElevatedToken(once, session, wallet)).singleUse, true, 'a single-use grant')
    const reused = await refused(verifier.verifyElevatedToken(once, session, wallet), 'elevated_token_reused', once)
    equal(reused.requiredScopes?.join(' '), 'wallet:export', 'requiredScopes of the refusal')
    // Without jti, the token is recorded by its SHA-256 (WebCrypto on every runtime).
    const noJti = await mintElevated({ claims: { jti: null } })
    await verifier.verifyElevatedToken(noJti, session, wallet)
    await refused(verifier.verifyElevatedToken(noJti, session, wallet), 'elevated_token_reused', noJti)

    await refused(verifier.verifyElevatedToken(undefined, session, wallet), 'elevated_token_missing')
    const other = await mintElevated({ scopes: ['wallet:sign'] })
    await refused(verifier.verifyElevatedToken(other, session, wallet), 'elevated_token_missing', other)
    const expired = await mintElevated({ expired: true })
    await refused(verifier.verifyElevatedToken(expired, session, wallet), 'elevated_token_invalid', expired)
    const theirs = await mintElevated({ sub: 'someone-else' })
    await refused(verifier.verifyElevatedToken(theirs, session, wallet), 'elevated_token_mismatch', theirs)
    const elsewhere = await mintElevated({ sid: 'another-session' })
    await refused(verifier.verifyElevatedToken(elsewhere, session, wallet), 'elevated_token_mismatch', elsewhere)
    // The session check never takes an elevated token.
    await refused(verifier.verifyToken(timeBound), 'insufficient_scope', timeBound)

    const full = lib.createMemoryOneTimeStore({ maxEntries: 1 })
    await full.claim('a-live-id', Date.now() / 1000 + 600)
    const failingStores = [full, { claim: () => Promise.reject(new Error('store down')) }]
    for (const oneTimeStore of failingStores) {
      const closed = newAuth({ oneTimeStore })
      const token = await mintElevated()
      const error = await refused(
        closed.verifyElevatedToken(token, session, wallet),
        'one_time_store_unavailable',
        token,
      )
      equal(error.retryAfter, 5, 'retryAfter of one_time_store_unavailable')
    }
  })

  await test('dynamic-guard/fetch: requireElevated answers 403 insufficient_scope naming the scope, then accepts once', async () => {
    const handler = fetchAdapter.requireElevated({ scopes: ['wallet:export'] })(() => new Response('exported'), auth)
    const url = 'https://api.example/export'
    const token = await emulatorServer.mint({ sid: 'fetch-elevated' })
    const missing = await handler(new Request(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } }))
    equal(missing.status, 403, 'status without an elevated token')
    equal(
      /error="insufficient_scope".*scope="wallet:export"$/.test(missing.headers.get('www-authenticate') ?? ''),
      true,
      'the challenge names the scope',
    )
    const body = (await missing.json()) as { code: string; required_scopes: string[] }
    equal(body.code, 'elevated_token_missing', 'code')
    equal(body.required_scopes.join(' '), 'wallet:export', 'required_scopes')
    const elevated = await emulatorServer.mintElevated({ scopes: ['wallet:export'], sid: 'fetch-elevated' })
    const send = () =>
      handler(
        new Request(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'x-dyn-elevated-access-token': elevated },
        }),
      )
    equal((await send()).status, 200, 'status with the elevated token')
    const again = await send()
    equal(again.status, 403, 'status of the second use')
    equal(((await again.json()) as { code: string }).code, 'elevated_token_reused', 'code of the second use')
  })

  // ---- attacks ----

  await test('attack: alg none (any case, with or without a signature) is refused', async () => {
    const payload = decodeSegment((await emulatorServer.mint()).split('.')[1]!)
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = `${base64url(JSON.stringify({ alg, typ: 'JWT', kid: initial.kid }))}.${base64url(JSON.stringify(payload))}`
      await refused(auth.verifyToken(`${unsigned}.${base64url('x')}`), 'algorithm_not_allowed', unsigned)
      let error: unknown
      await auth.verifyToken(`${unsigned}.`).catch((caught: unknown) => (error = caught))
      check(lib.isDynamicAuthError(error), `alg ${alg} with an empty signature must be refused`)
    }
  })

  await test('attack: HS256 signed with the public key as the HMAC secret is refused', async () => {
    const payload = decodeSegment((await emulatorServer.mint()).split('.')[1]!)
    const pemAuth = lib.createDynamicAuth({ environmentId, staticKeys: { publicKey: initial.publicKeyPem } })
    const jwk = (await (await fetch(jwksUrl)).json()) as { keys: Array<{ n: string }> }
    for (const secret of [initial.publicKeyPem, initial.publicKeyPem.trim(), jwk.keys[0]!.n]) {
      const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: initial.kid }))}.${base64url(JSON.stringify(payload))}`
      const key = await crypto.subtle.importKey(
        'raw',
        encoder.encode(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      )
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(input)))
      const forged = `${input}.${base64url(mac)}`
      await refused(auth.verifyToken(forged), 'algorithm_not_allowed', forged)
      await refused(pemAuth.verifyToken(forged), 'algorithm_not_allowed', forged)
    }
  })

  await test('attack: other algorithms (RS512, PS256, ES256) are refused before any key lookup', async () => {
    const token = await emulatorServer.mint()
    const [, p, s] = token.split('.')
    for (const alg of ['RS512', 'PS256', 'ES256', 'rs256']) {
      const forged = `${base64url(JSON.stringify({ alg, kid: initial.kid }))}.${p}.${s}`
      await refused(auth.verifyToken(forged), 'algorithm_not_allowed', forged)
    }
  })

  await test('attack: a wrong kid is key_not_found; a kid a fetch did not list is remembered, and old tokens cause no fetch', async () => {
    const guarded = newAuth()
    await guarded.verifyToken(await emulatorServer.mint())
    const before = (await emulatorServer.state()).jwksRequests
    const made = await emulatorServer.mint({ header: { kid: 'unknown-kid-fresh' } })
    await refused(guarded.verifyToken(made), 'key_not_found', made)
    for (let i = 0; i < 5; i++) await refused(guarded.verifyToken(made), 'key_not_found', made)
    check(
      (await emulatorServer.state()).jwksRequests - before === 1,
      'a fresh token of an unknown kid causes one fetch, and the kid is then remembered',
    )
    const issuedEarlier = Math.floor(Date.now() / 1000) - 3600
    for (let i = 0; i < 20; i++) {
      const token = await emulatorServer.mint({ header: { kid: `unknown-kid-${i}` }, claims: { iat: issuedEarlier } })
      await refused(guarded.verifyToken(token), 'key_not_found', token)
    }
    check(
      (await emulatorServer.state()).jwksRequests - before === 1,
      'twenty tokens issued before the keys were fetched, of unlisted kids, cause no fetch',
    )
  })

  await test('attack: a tampered payload or a truncated signature is signature_invalid', async () => {
    const tampered = await emulatorServer.mint({ tampered: true })
    await refused(auth.verifyToken(tampered), 'signature_invalid', tampered)
    const token = await emulatorServer.mint()
    const [h, p, s] = token.split('.') as [string, string, string]
    const truncated = `${h}.${p}.${base64url(decodeBytes(s).subarray(0, -1))}`
    await refused(auth.verifyToken(truncated), 'signature_invalid', truncated)
    const sub = decodeSegment(p!)
    const swapped = `${h}.${base64url(JSON.stringify({ ...sub, scope: 'user:basic admin' }))}.${s}`
    await refused(auth.verifyToken(swapped), 'signature_invalid', swapped)
  })

  await test('attack: headers that point at keys (jku, x5u, jwk, x5c) are refused', async () => {
    for (const header of [
      { jku: `${emulatorOrigin}/evil-jwks` },
      { x5u: `${emulatorOrigin}/evil.pem` },
      { jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } },
      { x5c: ['AAAA'] },
    ]) {
      const token = await emulatorServer.mint({ header })
      await refused(auth.verifyToken(token), 'token_malformed', token)
    }
  })

  await test('attack: a token signed for another environment by this key is refused', async () => {
    const token = await emulatorServer.mint({
      claims: {
        iss: `app.dynamicauth.com/00000000-0000-4000-8000-000000000000`,
        environment_id: '00000000-0000-4000-8000-000000000000',
      },
    })
    await refused(auth.verifyToken(token), 'environment_mismatch', token)
  })

  // ---- rotation ----

  await test('rotation: a new key is picked up, and a key removed from the JWKS is dropped', async () => {
    const rotating = newAuth({ jwks: { cooldown: 0 } })
    const oldToken = await emulatorServer.mint({ sub: 'before-rotation' })
    equal((await rotating.verifyToken(oldToken)).userId, 'before-rotation', 'old token before rotation')
    const secondKid = await emulatorServer.rotate(true)
    const newToken = await emulatorServer.mint({ sub: 'after-rotation' })
    equal(decodeSegment(newToken.split('.')[0]!).kid, secondKid, 'the new token carries the new kid')
    equal((await rotating.verifyToken(newToken)).userId, 'after-rotation', 'new token after rotation')
    equal(
      (await rotating.verifyToken(oldToken)).userId,
      'before-rotation',
      'old token while its key is still published',
    )
    check(rotating.keyStatus().kids.includes(secondKid), 'keyStatus lists the new kid')
    await emulatorServer.rotate(false) // only the newest key stays published
    const thirdToken = await emulatorServer.mint({ sub: 'second-rotation' })
    equal((await rotating.verifyToken(thirdToken)).userId, 'second-rotation', 'token of the third key')
    await refused(rotating.verifyToken(oldToken), 'key_not_found', oldToken)
    await refused(rotating.verifyToken(newToken), 'key_not_found', newToken)
  })

  // ---- JWKS outage ----

  await test('JWKS outage with nothing cached: jwks_unavailable (503, retryAfter), then recovery', async () => {
    const cold = newAuth({ jwks: { maxBackoff: 0 } })
    const token = await emulatorServer.mint({ sub: 'outage-user' })
    await emulatorServer.outage({ mode: 'status', status: 503 })
    try {
      const error = await refused(cold.verifyToken(token), 'jwks_unavailable', token)
      equal(error.status, 503, 'status')
      check(typeof error.retryAfter === 'number' && error.retryAfter >= 0, 'retryAfter is a number of seconds')
      await refused(cold.warmUp(), 'jwks_unavailable')
      check(cold.keyStatus().consecutiveFailures >= 1, 'keyStatus counts the failures')
    } finally {
      await emulatorServer.outage({ mode: 'off' })
    }
    equal((await cold.verifyToken(token)).userId, 'outage-user', 'userId once the JWKS is back')
  })

  await test('JWKS outage with keys cached: tokens keep verifying from the stale keys', async () => {
    const warm = newAuth({ jwks: { cacheMaxAge: 10 }, advanced: { tokenCacheSize: 0 } })
    await warm.warmUp()
    await emulatorServer.outage({ mode: 'status', status: 500 })
    try {
      await wait(50) // past the 10 ms max age, so that the keys are stale
      for (let i = 0; i < 3; i++) {
        const session = await warm.verifyToken(await emulatorServer.mint({ sub: `stale-${i}` }))
        equal(session.userId, `stale-${i}`, 'userId during the outage')
      }
    } finally {
      await emulatorServer.outage({ mode: 'off' })
    }
  })

  await test('JWKS outage by a server that never answers: jwks_unavailable after jwks.timeout', async () => {
    const hung = newAuth({ jwks: { timeout: 300, maxBackoff: 0 } })
    const token = await emulatorServer.mint()
    await emulatorServer.outage({ mode: 'hang' })
    try {
      await refused(hung.verifyToken(token), 'jwks_unavailable', token)
    } finally {
      await emulatorServer.outage({ mode: 'off' })
    }
  })

  // ---- configuration ----

  await test('a bad configuration throws DynamicAuthConfigError at once', async () => {
    for (const options of [
      { environmentId: 'not-a-uuid' },
      { environmentId, jwks: { url: 'http://evil.example/jwks' } },
      { environmentId, clockTolerance: -1 },
    ]) {
      let error: unknown
      try {
        lib.createDynamicAuth(options as never)
      } catch (caught) {
        error = caught
      }
      check(
        error instanceof lib.DynamicAuthConfigError,
        `createDynamicAuth(${JSON.stringify(options)}) must throw DynamicAuthConfigError`,
      )
    }
  })

  await test('dynamic-guard/fetch: requireSessionSignature accepts a request signed with the session key, once, and refuses the rest', async () => {
    const pair = await lib.generateSessionKeyPair()
    const signer = await lib.jwkSessionSigner(pair.privateKeyJwk)
    const stranger = await lib.jwkSessionSigner((await lib.generateSessionKeyPair()).privateKeyJwk)
    const token = await emulatorServer.mint({ sub: 'key-holder', sessionPublicKey: pair.publicKeyHex })
    const url = 'https://api.example/v1/transfers?account=main'
    const body = '{"amount":"10.5"}'
    const echo = async (request: Request, session: { userId: string } | undefined) =>
      Response.json({ userId: session?.userId, body: await request.text() })
    const route = fetchAdapter.requireSessionSignature()(echo, newAuth())
    const send = (headers: Record<string, string>, as: { token?: string; body?: string; url?: string } = {}) =>
      route(
        new Request(as.url ?? url, {
          method: 'POST',
          body: as.body ?? body,
          headers: { authorization: `Bearer ${as.token ?? token}`, 'content-type': 'application/json', ...headers },
        }),
      )
    /** Expects the refusal `code` with `status`, as the answer's JSON says it. */
    const answered = async (response: Response, code: string, status: number) => {
      const json = (await response.json()) as { code?: string }
      equal(json.code, code, 'error code')
      equal(response.status, status, `status of ${code}`)
      codesSeen.add(code)
      if (status === 401)
        check(
          /error="invalid_token"/.test(response.headers.get('www-authenticate') ?? ''),
          `error="invalid_token" for ${code}`,
        )
      else check(/^\d+$/.test(response.headers.get('retry-after') ?? ''), `Retry-After for ${code}`)
    }
    const proof = await lib.signRequest({ method: 'POST', url, body }, signer)
    const ok = await send(proof)
    equal(ok.status, 200, 'status of a signed request')
    const echoed = (await ok.json()) as { userId: string; body: string }
    equal(echoed.userId, 'key-holder', 'userId seen by the handler')
    equal(echoed.body, body, 'the handler still reads the body')
    await answered(await send(proof), 'session_signature_replayed', 401)
    await answered(await send({}), 'session_signature_missing', 401)
    await answered(await send({ 'x-session-signature': 'v=1, ts=1' }), 'session_signature_malformed', 401)
    const fresh = () => lib.signRequest({ method: 'POST', url, body }, signer)
    await answered(await send(await fresh(), { body: '{"amount":"99.5"}' }), 'session_signature_invalid', 401)
    await answered(
      await send(await fresh(), { url: 'https://api.example/v1/transfers?account=other' }),
      'session_signature_invalid',
      401,
    )
    await answered(
      await send(await lib.signRequest({ method: 'POST', url, body }, stranger)),
      'session_signature_invalid',
      401,
    )
    const old = await lib.signRequest({ method: 'POST', url, body }, signer, {
      now: Math.floor(Date.now() / 1000) - 3600,
    })
    await answered(await send(old), 'session_signature_expired', 401)
    const keyless = await emulatorServer.mint({ sessionPublicKey: null })
    await answered(await send(await fresh(), { token: keyless }), 'session_key_missing', 401)
    const offCurve = await emulatorServer.mint({ claims: { session_public_key: `02${'f'.repeat(64)}` } })
    await answered(await send(await fresh(), { token: offCurve }), 'session_key_malformed', 401)
    const storeDown = { claim: () => Promise.reject(new Error('the one-time store is unreachable')) }
    const failing = fetchAdapter.requireSessionSignature()(echo, newAuth({ oneTimeStore: storeDown }))
    const unrecorded = await failing(
      new Request(url, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, ...(await fresh()) } }),
    )
    await answered(unrecorded, 'one_time_store_unavailable', 503)
  })

  await test('decodeUnverified reads a token without verifying it', async () => {
    const token = await emulatorServer.mint({ sub: 'decoded-user' })
    const decoded = lib.decodeUnverified(token) as { header: { kid?: unknown }; payload: { sub?: unknown } }
    equal(decoded.payload.sub, 'decoded-user', 'payload.sub')
  })

  // ---- token kinds, admin tokens, several environments ----

  await test("token kinds: session.actor, and a route's actor refuses the other kind", async () => {
    const agentToken = await emulatorServer.mint({ sub: 'agent-user', claims: { server_auth: true } })
    equal((await auth.verifyToken(agentToken)).actor, 'agent', 'actor of a server_auth token')
    equal((await auth.verifyToken(await emulatorServer.mint())).actor, 'user', 'actor of a user token')
    await refused(auth.verifyToken(agentToken, { actor: 'user' }), 'actor_not_allowed', agentToken)
  })

  await test('a Dynamic admin API token (dyn_) is refused as what it is, never echoed', async () => {
    const adminToken = `dyn_${'Zx9'.repeat(18)}ab`
    const error = await refused(auth.verifyToken(adminToken), 'admin_token_not_accepted', adminToken)
    check(error.message.includes('admin API token'), 'the message says what it is')
  })

  await test('several environments: each routed to its own keys and issuer; routes restricted by name', async () => {
    const other = '0f1e2d3c-4b5a-4697-8877-665544332211'
    const { publicKeyPem } = await emulatorServer.state() // the key signing now (the rotation case changed it)
    const several = lib.createDynamicAuth({
      environments: [
        { id: environmentId, name: 'live', jwks: { url: jwksUrl } },
        // The same key, configured statically, for a second environment: routing, not keys, is under test.
        { id: other, name: 'sandbox', staticKeys: { publicKey: publicKeyPem } },
      ],
    })
    const liveSession = await several.verifyToken(await emulatorServer.mint({ sub: 'live-user' }))
    equal(liveSession.environmentName, 'live', 'environmentName of the first environment')
    const sandboxToken = await emulatorServer.mint({
      sub: 'sandbox-user',
      claims: { iss: `app.dynamicauth.com/${other}`, environment_id: other },
    })
    const sandboxSession = await several.verifyToken(sandboxToken)
    equal(sandboxSession.environmentId, other, 'environmentId of the second environment')
    equal(sandboxSession.environmentName, 'sandbox', 'environmentName of the second environment')
    await refused(several.verifyToken(sandboxToken, { allowedEnvironments: ['live'] }), 'environment_not_allowed')
    const stranger = await emulatorServer.mint({
      claims: {
        iss: 'app.dynamicauth.com/00000000-0000-4000-8000-000000000000',
        environment_id: '00000000-0000-4000-8000-000000000000',
      },
    })
    await refused(several.verifyToken(stranger), 'environment_mismatch', stranger)
    equal(several.environments?.length, 2, 'environments lists both')
  })

  // Every code the library can refuse with was produced above.
  await test('every error code was produced', async () => {
    const missing = lib.ERROR_CODES.filter((code) => !codesSeen.has(code))
    check(missing.length === 0, `no case produced: ${missing.join(', ')}`)
  })

  return { runtime: runtimeName(), cases, codesSeen: [...codesSeen].sort() }
}
