/**
 * The demo: a small protected API built on dynamic-guard's Express adapter, in front of the local
 * Dynamic (the emulator), with a web page that signs in through Dynamic's own client and shows
 * each request be accepted or refused.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import express, { type ErrorRequestHandler } from 'express'
import { createDynamicAuth } from '../src/index.js'
import {
  dynamicAuth,
  dynamicAuthErrorHandler,
  healthCheck,
  requireElevated,
  requireSessionSignature,
} from '../src/adapters/express.js'
import { createDemoMetrics } from './metrics.js'
import {
  createTestIssuer,
  createTestWallet,
  OTHER_ENVIRONMENT_ID,
  type TestIssuerServer,
} from '../src/testing/index.js'
import { bundleSignIn } from './bundle.js'
import { explainToken } from './checks.js'
import { proxyTo } from './emulator-proxy.js'
import { DEMO_USERS } from './users.js'
import type { TestProfile } from '../src/testing/index.js'
import type { VerifiedCredential } from '../src/session/claims.js'

export interface DemoOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
}

export interface RunningDemo {
  /** The page, e.g. `http://127.0.0.1:3000/`. */
  url: string
  environmentId: string
  emulatorServer: TestIssuerServer
  /** The test wallets the page injects (EIP-6963), by name and address. */
  testWallets: ReadonlyArray<{ name: string; address: string }>
  close(): Promise<void>
}

const publicDir = fileURLToPath(new URL('./public/', import.meta.url))
/** The version of Dynamic's client the page bundles (pinned in package.json). */
const clientVersion = (createRequire(import.meta.url)('@dynamic-labs-sdk/client/package.json') as { version: string })
  .version

export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  // The sign-in module (Dynamic's client) is bundled by esbuild's own process meanwhile.
  const bundling = bundleSignIn()
  bundling.catch(() => {}) // awaited below; a failure there stops the start
  const issuer = createTestIssuer()
  // Cookie mode: the project settings tell Dynamic's client to write the DYNAMIC_JWT_TOKEN cookie.
  // The page (its own origin) calls the local Dynamic's origin directly, with CORS, as a page calls
  // Dynamic; the cookie lands on the page's host, so the page's API receives it.
  const emulatorServer = await issuer.listen({ cookieAuth: true })
  // Another Dynamic project, with its own key and environment id, for the "wrong environment" case:
  // its tokens are signed with a key this environment's JWKS does not hold, as in reality.
  const otherEnvironment = createTestIssuer({ environmentId: OTHER_ENVIRONMENT_ID, freshKeys: true })
  // Two test wallets (fresh keys, in memory) that the page injects as browser extensions would:
  // one to sign in with, one to link. Test keys only: they hold nothing.
  const testWallets = [
    { name: 'Test Wallet', rdns: 'dev.dynamic-guard.test-wallet', wallet: createTestWallet() },
    { name: 'Second Test Wallet', rdns: 'dev.dynamic-guard.second-test-wallet', wallet: createTestWallet() },
  ]
  let signInModule: string
  try {
    signInModule = await bundling
  } catch (error) {
    await emulatorServer.close()
    throw error
  }
  // The API trusts the emulator's JWKS, fetched over HTTP like Dynamic's, and nothing else.
  const metrics = createDemoMetrics()
  const auth = createDynamicAuth({
    environmentId: issuer.environmentId,
    jwks: { url: emulatorServer.jwksUrl },
    telemetry: { meterProvider: metrics.meterProvider },
  })

  const app = express()
  app.disable('x-powered-by')

  // The local Dynamic's token endpoint on the demo's own origin, for the failing cases' tokens.
  app.use('/api/v0/sdk', proxyTo(emulatorServer.origin))

  // Dynamic's client and the page's sign-in, bundled at start: the page loads no third-party URL.
  app.get('/build/sign-in.js', (_req, res) => {
    res.type('text/javascript').set('cache-control', 'no-store').send(signInModule)
  })

  // What a Prometheus server scrapes and a load balancer checks (the page's live panel reads both).
  app.get('/metrics', (req, res) => metrics.handle(req, res))
  app.get('/healthz', healthCheck(auth))

  app.get('/api/public', (_req, res) => {
    res.json({ message: 'Anyone may read this: no token needed.', serverTime: new Date().toISOString() })
  })

  app.get('/api/me', dynamicAuth(auth), (req, res) => {
    const session = req.auth!
    const known = DEMO_USERS.find((user) => user.sub === session.userId)
    res.json({
      message: `Hello, ${known?.name ?? session.email ?? session.walletAddresses[0] ?? session.userId}. This answer required a verified Dynamic token.`,
      tokenSentAs: req.headers.authorization ? 'Authorization: Bearer header' : 'DYNAMIC_JWT_TOKEN cookie',
      userId: session.userId,
      sessionId: session.sessionId,
      tokenKind: session.tokenKind,
      scopes: session.scopes,
      expiresAt: session.expiresAt.toISOString(),
      lastVerifiedCredentialId: session.claims.last_verified_credential_id,
      ...(session.tokenKind === 'id' ? { email: session.email, wallets: session.walletAddresses } : {}),
    })
  })

  // A sensitive action behind step-up: it needs, besides the session token, an elevated access token
  // for wallet:export of the same session, which Dynamic's client gets by re-verifying the user
  // (checkStepUpAuth, then a verification with requestedScopes). Single use: spent here.
  app.post('/api/wallet/export', dynamicAuth(auth), requireElevated({ scopes: ['wallet:export'] }), (req, res) => {
    const grant = req.elevated!
    res.json({
      message: 'Export authorised: the user stepped up for wallet:export. (A demo: nothing is exported.)',
      userId: req.auth!.userId,
      elevated: { scopes: grant.scopes, singleUse: grant.singleUse, expiresAt: grant.expiresAt.toISOString() },
    })
  })

  // A route that accepts the token only with a signature by the session's own key over the
  // request (method, path and query, body bytes): a token copied elsewhere opens nothing here. The
  // body parser keeps the bytes the signature covers.
  const keepBytes = express.json({
    limit: '8kb',
    verify: (req, _res, bytes) => {
      ;(req as typeof req & { rawBody?: Buffer }).rawBody = bytes
    },
  })
  app.post('/api/transfers', keepBytes, dynamicAuth(auth), requireSessionSignature(), (req, res) => {
    res.json({
      message: "Transfer accepted: the request was signed with this session's key. (A demo: nothing moves.)",
      userId: req.auth!.userId,
      transfer: req.body as unknown,
      sessionPublicKey: req.auth!.claims.session_public_key,
    })
  })

  app.post('/demo/inspect', express.json({ limit: '32kb' }), (req, res) => {
    const token = (req.body as { token?: unknown } | undefined)?.token
    if (typeof token !== 'string' || token.length === 0 || token.length > 16384) {
      res.status(400).json({ error: 'invalid_request', message: 'Send { "token": "<jwt>" }.' })
      return
    }
    res.json(explainToken(token, { environmentId: issuer.environmentId, jwks: issuer.jwks() }))
  })

  // A sign-in at the other project, for the same person: what a front end configured with another
  // environment id would hand over. Test tokens only, minted here; nothing is sent to Dynamic.
  app.post('/demo/other-environment/sign-in', express.json({ limit: '32kb' }), (req, res) => {
    const body = (req.body ?? {}) as { sub?: unknown; profile?: unknown; credentials?: unknown }
    if (typeof body.sub !== 'string' || body.sub.length === 0 || body.sub.length > 200) {
      res.status(400).json({
        error: 'invalid_request',
        message: 'Send { "sub": "<user id>" }, with profile and credentials if you like.',
      })
      return
    }
    res.json(
      otherEnvironment.signIn({
        sub: body.sub,
        audience: `${req.protocol}://${req.headers.host ?? '127.0.0.1'}`,
        ...(typeof body.profile === 'object' && body.profile !== null ? { profile: body.profile as TestProfile } : {}),
        ...(Array.isArray(body.credentials) ? { credentials: body.credentials as VerifiedCredential[] } : {}),
      }),
    )
  })

  app.get('/demo/config', (_req, res) => {
    res.json({
      environmentId: issuer.environmentId,
      issuer: issuer.issuer,
      jwksUrl: emulatorServer.jwksUrl,
      // Where Dynamic's client finds the local Dynamic, and where a test (or this page) reads the codes.
      apiBaseUrl: emulatorServer.apiBaseUrl,
      otpUrl: emulatorServer.otpUrl,
      clientVersion,
      signInPath: `/api/v0/sdk/${issuer.environmentId}/verify`,
      otherEnvironmentId: otherEnvironment.environmentId,
      testWallets: testWallets.map(({ name, rdns, wallet }) => ({
        name,
        rdns,
        address: wallet.address,
        privateKey: wallet.privateKey,
      })),
      users: DEMO_USERS.map(({ key, name, description, sub, profile, credentials }) => ({
        key,
        name,
        description,
        sub,
        profile,
        credentials,
      })),
    })
  })

  app.use(express.static(publicDir, { index: 'index.html', maxAge: 0 }))
  app.use(dynamicAuthErrorHandler())
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' })
  })
  const lastResort: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error)
    const status =
      typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500
    res
      .status(status >= 400 && status < 600 ? status : 500)
      .json({ error: status === 500 ? 'server_error' : 'invalid_request' })
  }
  app.use(lastResort)

  const server: Server = createServer(app)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    await emulatorServer.close()
    throw error
  }
  const { port } = server.address() as AddressInfo
  const host = options.host ?? '127.0.0.1'
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    environmentId: issuer.environmentId,
    emulatorServer,
    testWallets: testWallets.map(({ name, wallet }) => ({ name, address: wallet.address })),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await emulatorServer.close()
      await metrics.shutdown()
    },
  }
}
