/**
 * The emulator over HTTP: Dynamic's JWKS paths, a sign-in endpoint that hands over tokens the way
 * Dynamic's API hands them to its SDK (and sets Dynamic's cookie), and key rotation. It listens on
 * 127.0.0.1 by default. It mints valid tokens for whoever asks, which is its job: only an app
 * pointed at this emulator's JWKS trusts them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { MintOptions, TestIssuerCore } from './test-issuer.js'
import { parseSignInRequest } from './sign-in-request.js'
import { DynamicAuthConfigError } from '../errors.js'
import { DEFAULT_COOKIE_NAME } from '../http/options.js'
import { createEmulator, type DynamicEmulator } from './emulator/emulator.js'
import { isLoopbackHostname } from './emulator/cors.js'
import { EmulatorError, MAX_BODY_BYTES, sendError, sendJson } from './emulator/http.js'
import type { EmulatorOptions } from './emulator/options.js'

/**
 * Options of `TestIssuer.listen`: the port and host, the emulator's cookie, and the emulated
 * Dynamic project ({@link EmulatorOptions}: fixed codes, required information, cookie auth, MFA,
 * webhooks, extra browser origins).
 */
export interface TestIssuerListenOptions extends EmulatorOptions {
  /** Default 0: an ephemeral port. */
  port?: number
  /**
   * Default `127.0.0.1`. Loopback only (`127.x.x.x`, `::1`, `localhost`) unless
   * {@link TestIssuerListenOptions.unsafeListenAnyHost} is set: the server mints tokens that apps
   * pointed at it trust.
   */
  host?: string
  /**
   * Listen on a non-loopback host, and answer requests whatever their `Host` header. Anyone who
   * can reach the port can then sign in and mint tokens that apps pointed at this server accept.
   * Default false.
   */
  unsafeListenAnyHost?: boolean
  /** The cookie the sign-in endpoint sets to the access token, as Dynamic's cookie-based auth does. Default `DYNAMIC_JWT_TOKEN`; `false` sets none. */
  cookieName?: string | false
}

/** A running HTTP emulator. */
export interface TestIssuerServer {
  /** e.g. `http://127.0.0.1:43121` */
  readonly origin: string
  /** The environment it plays. */
  readonly environmentId: string
  /** Dynamic's SDK API base URL for Dynamic's client (`coreConfig.apiBaseUrl`): `<origin>/api/v0`. */
  readonly apiBaseUrl: string
  /** `GET <otpUrl>?email=<address>` answers `{ "code": "<the last code sent>" }`. */
  readonly otpUrl: string
  /** The emulator's calls: read a code, complete MFA, revoke a session, delete a user. */
  readonly emulator: DynamicEmulator
  /** The JWKS URL, in Dynamic's path shape (`/api/v0/sdk/<environmentId>/.well-known/jwks`). */
  readonly jwksUrl: string
  /**
   * The sign-in endpoint (`POST /api/v0/sdk/<environmentId>/verify`). Its JSON body takes the
   * mint options (`sub`, `expired`, `mfaPending`, `otherEnvironment`, `tampered`, `scopes`,
   * `profile`, `credentials`, `claims`, …); it answers `{ jwt, minifiedJwt, expiresAt, user }`.
   */
  readonly tokenUrl: string
  /** `POST` here (body `{ "keepPrevious": false }` optional) to rotate the signing key. */
  readonly rotateKeyUrl: string
  /** How many JWKS requests the server has answered. */
  readonly jwksRequests: number
  /** How many tokens the sign-in endpoint has handed over. */
  readonly tokenRequests: number
  /** Stops the server and what runs on its own (webhook retries). */
  close(): Promise<void>
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data')
        req.resume() // discard the rest; the answer closes the connection
        reject(new RequestError(413, `The body is larger than ${MAX_BODY_BYTES} bytes.`))
        return
      }
      chunks.push(chunk)
    })
    req.on('error', reject)
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim()
      if (text === '') return resolve({})
      try {
        resolve(JSON.parse(text))
      } catch {
        reject(new RequestError(400, 'The body is not JSON.'))
      }
    })
  })
}

/** One environment's routes, served by {@link startEmulatorServer} alone or beside others' (several environments on one server). */
export interface EmulatorRoutes {
  readonly emulator: DynamicEmulator
  /** The CORS headers for `req`'s origin. */
  corsHeaders(req: IncomingMessage): Record<string, string>
  /** Answers `req`; throws an {@link EmulatorError} or a emulator error that {@link serveEmulator} renders. */
  route(req: IncomingMessage, res: ServerResponse): Promise<void>
  readonly jwksRequests: number
  readonly tokenRequests: number
  /** Stops what runs on its own (webhook retries). */
  close(): void
}

/** Throws unless `host` is loopback or the caller insists. */
export function checkListenHost(host: string, options: TestIssuerListenOptions): void {
  if (!isLoopbackHostname(host) && options.unsafeListenAnyHost !== true) {
    throw new DynamicAuthConfigError(
      `Refusing to listen on ${JSON.stringify(host)}: this server mints tokens that apps pointed at it trust, so it serves loopback only (127.0.0.1, ::1, localhost). Set unsafeListenAnyHost: true (dynamic-guard dev --unsafe-listen-any-host) to expose it anyway.`,
    )
  }
}

/** Starts the HTTP emulator for `issuer`. */
export async function startEmulatorServer(
  issuer: TestIssuerCore,
  options: TestIssuerListenOptions,
): Promise<TestIssuerServer> {
  const { port = 0, host = '127.0.0.1' } = options
  checkListenHost(host, options)
  let origin = ''
  const routes = createEmulatorRoutes(issuer, options, () => origin)
  const served = await serveEmulator(routes, port, host)
  origin = served.origin
  const base = `/api/v0/sdk/${issuer.environmentId}`
  return {
    origin,
    environmentId: issuer.environmentId,
    apiBaseUrl: `${origin}/api/v0`,
    otpUrl: `${origin}/emulator/otp`,
    emulator: routes.emulator,
    jwksUrl: `${origin}${base}/.well-known/jwks`,
    tokenUrl: `${origin}${base}/verify`,
    rotateKeyUrl: `${origin}/emulator/rotate-key`,
    get jwksRequests() {
      return routes.jwksRequests
    },
    get tokenRequests() {
      return routes.tokenRequests
    },
    close: served.close,
  }
}

/** The routes of `issuer`'s environment; `originOf` answers the server's origin once it listens. */
export function createEmulatorRoutes(
  issuer: TestIssuerCore,
  options: TestIssuerListenOptions,
  originOf: () => string,
): EmulatorRoutes {
  const emulator = createEmulator(issuer, { ...options, anyHost: options.unsafeListenAnyHost === true })
  // CORS for browser callers: loopback origins (and the listed ones) are echoed, with credentials, so cookies can flow.
  const corsHeaders = (req: IncomingMessage): Record<string, string> => emulator.policy.headers(req)
  const cookieName = options.cookieName === undefined ? DEFAULT_COOKIE_NAME : options.cookieName
  const base = `/api/v0/sdk/${issuer.environmentId}`
  const jwksPaths = new Set([`${base}/.well-known/jwks`, `${base}/.well-known/jwks.json`])
  const paths = { verify: `${base}/verify`, logout: `${base}/logout`, rotate: '/emulator/rotate-key' }
  let jwksRequests = 0
  let tokenRequests = 0

  const cookie = (value: string, maxAge: number): string =>
    `${cookieName}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAge))}; HttpOnly; SameSite=Lax`

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!
    const method = req.method ?? 'GET'
    const cors = corsHeaders(req)
    emulator.policy.check(req)
    if (method === 'OPTIONS') return emulator.policy.preflight(req, res)
    if (jwksPaths.has(path)) {
      if (method !== 'GET' && method !== 'HEAD') throw new RequestError(405, 'The JWKS answers GET only.')
      jwksRequests++
      res.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=600',
        'access-control-allow-origin': '*',
      })
      res.end(method === 'HEAD' ? undefined : JSON.stringify(issuer.jwks()))
      return
    }
    // Before the emulator, which answers the rest of /emulator/.
    if (path === paths.rotate) {
      if (method !== 'POST') throw new RequestError(405, 'Rotate the key with POST.')
      const body = await readBody(req)
      const keepPrevious = (body as { keepPrevious?: unknown } | null)?.keepPrevious
      if (
        typeof body !== 'object' ||
        body === null ||
        Array.isArray(body) ||
        (keepPrevious !== undefined && typeof keepPrevious !== 'boolean')
      ) {
        throw new RequestError(400, 'The body must be a JSON object, optionally { "keepPrevious": false }.')
      }
      const kid = issuer.rotateKey({ keepPrevious: keepPrevious !== false })
      sendJson(res, 200, { kid, kids: issuer.jwks().keys.map((k) => k.kid) }, cors)
      return
    }
    if (await emulator.handle(req, res, new URL(`http://localhost${req.url ?? '/'}`))) return
    if (path === paths.verify) {
      if (method !== 'POST') throw new RequestError(405, 'Sign in with POST and a JSON body (it may be empty).')
      const parsed = parseSignInRequest(await readBody(req))
      if (typeof parsed === 'string') throw new RequestError(400, parsed)
      const result = issuer.signIn(parsed satisfies MintOptions)
      tokenRequests++
      const headers: Record<string, string | string[]> = { ...cors }
      if (cookieName) headers['set-cookie'] = cookie(result.minifiedJwt, result.expiresAt - Date.now() / 1000)
      sendJson(res, 200, result, headers)
      return
    }
    if (path === paths.logout) {
      if (method !== 'POST') throw new RequestError(405, 'Sign out with POST.')
      const headers: Record<string, string | string[]> = { ...cors }
      if (cookieName) headers['set-cookie'] = cookie('', 0)
      res.writeHead(204, headers).end()
      return
    }
    if (path === '/' && method === 'GET') {
      const origin = originOf()
      sendJson(res, 200, {
        name: 'Local Dynamic emulator (dynamic-guard/testing): test keys, trusted by nothing but apps pointed at this JWKS',
        environmentId: issuer.environmentId,
        issuer: issuer.issuer,
        jwksUrl: `${origin}${base}/.well-known/jwks`,
        tokenUrl: `${origin}${paths.verify}`,
        rotateKeyUrl: `${origin}${paths.rotate}`,
        apiBaseUrl: `${origin}/api/v0`,
        otpUrl: `${origin}/emulator/otp`,
      })
      return
    }
    throw new RequestError(
      404,
      `Nothing here. The JWKS is at ${base}/.well-known/jwks and the sign-in endpoint at POST ${paths.verify}.`,
    )
  }

  return {
    emulator: emulator.api,
    corsHeaders,
    route,
    get jwksRequests() {
      return jwksRequests
    },
    get tokenRequests() {
      return tokenRequests
    },
    close: () => emulator.close(),
  }
}

/** Serves `routes` over HTTP on `host:port`, rendering refusals in Dynamic's error shape. */
export async function serveEmulator(
  routes: Pick<EmulatorRoutes, 'corsHeaders' | 'route' | 'close'>,
  port: number,
  host: string,
): Promise<{ origin: string; close(): Promise<void> }> {
  const { corsHeaders, route } = routes
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy()
      if (error instanceof EmulatorError) return sendError(res, error, corsHeaders(req))
      const status = error instanceof RequestError ? error.status : 500
      const message = error instanceof Error ? error.message : 'Unexpected error.'
      const headers: Record<string, string> = {
        ...corsHeaders(req),
        ...(status === 413 ? { connection: 'close' } : {}),
      }
      sendJson(
        res,
        status,
        { error: status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'invalid_request', message },
        headers,
      )
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        routes.close()
        server.close(() => resolve())
        server.closeAllConnections?.()
      }),
  }
}
