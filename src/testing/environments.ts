/**
 * Several Dynamic environments at once, as a Dynamic project has them (a sandbox and a live
 * environment, each with its own id, signing key and JWKS): issuers made together, and one local
 * Dynamic on one origin that serves them all, the way Dynamic's API serves every environment under
 * `/api/v0/sdk/<environmentId>/`. A single environment is still `createTestIssuer().listen()`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { EmulatorError, sendJson } from './emulator/http.js'
import {
  checkListenHost,
  createEmulatorRoutes,
  serveEmulator,
  type TestIssuerListenOptions,
  type EmulatorRoutes,
  type TestIssuerServer,
} from './emulator-server.js'
import { createTestIssuer, type TestIssuer } from './issuer.js'
import { TEST_ENVIRONMENT_ID, type TestIssuerOptions } from './test-issuer.js'

/** The live environment's id in {@link createTestEnvironments}' default pair (the sandbox has `TEST_ENVIRONMENT_ID`). */
export const TEST_LIVE_ENVIRONMENT_ID = '9c4e2b7a-6f1d-4a3b-8e5c-0d2f7a9b1c36'

/** Dynamic's two kinds of environment. */
export type EnvironmentName = 'sandbox' | 'live'

/** One environment of {@link createTestEnvironments}: its kind, and the test issuer options of its key. */
export interface TestEnvironmentOptions extends TestIssuerOptions {
  /** Which environment of the project this is: `sandbox` or `live`. */
  name: EnvironmentName
}

/** A test issuer with the kind of environment it plays. */
export type TestEnvironment = TestIssuer & {
  /** Which environment of the project this is: `sandbox` or `live`. */
  readonly name: EnvironmentName
}

/** One environment as the shared server serves it: the single-environment server's members, for this one. */
export type TestEnvironmentServer = TestIssuerServer & {
  /** Which environment of the project this is: `sandbox` or `live`. */
  readonly name: EnvironmentName
}

/** The local Dynamic serving several environments. */
export interface TestEnvironmentsServer {
  /** e.g. `http://127.0.0.1:43121`: one origin for every environment. */
  readonly origin: string
  /** `<origin>/api/v0`, the same for every environment (Dynamic's client adds `/sdk/<environmentId>/`). */
  readonly apiBaseUrl: string
  /** Each environment: its JWKS URL, sign-in endpoint, emulator calls. Its `close()` closes the whole server. */
  readonly environments: readonly TestEnvironmentServer[]
  /** The environment of that name or id; throws when there is none. */
  environment(nameOrId: string): TestEnvironmentServer
  /** Stops the server, for every environment. */
  close(): Promise<void>
}

/** Several environments, each with its own id and keys. */
export interface TestEnvironments {
  /** Each environment, in the order given: its id, keys and minting. */
  readonly environments: readonly TestEnvironment[]
  /** The environment of that name or id; throws when there is none. */
  environment(nameOrId: string): TestEnvironment
  /**
   * Serves them all on one server (127.0.0.1, an ephemeral port unless `port` is given). The
   * options apply to every environment; each gets its own `environmentName`.
   */
  listen(options?: TestIssuerListenOptions): Promise<TestEnvironmentsServer>
}

function find<T extends { readonly name: string; readonly environmentId: string }>(
  list: readonly T[],
  nameOrId: string,
): T {
  const found = list.find((entry) => entry.name === nameOrId || entry.environmentId === nameOrId)
  if (!found)
    throw new TypeError(
      `No environment ${JSON.stringify(nameOrId)}: there are ${list.map((entry) => `${entry.name} (${entry.environmentId})`).join(', ')}.`,
    )
  return found
}

/**
 * Creates test environments: by default a sandbox (`TEST_ENVIRONMENT_ID`) and a live one
 * ({@link TEST_LIVE_ENVIRONMENT_ID}), each with its own RSA key (drawn so that no two of them share
 * key material) and JWKS. Throws a TypeError when two share an id, or when none is given.
 *
 * @example
 * const project = createTestEnvironments()
 * const live = project.environment('live').mint()      // signed by the live key, for the live id
 * const server = await project.listen()
 * server.environment('sandbox').jwksUrl                 // <origin>/api/v0/sdk/<sandbox id>/.well-known/jwks
 */
export function createTestEnvironments(
  list: readonly TestEnvironmentOptions[] = [{ name: 'sandbox' }, { name: 'live' }],
): TestEnvironments {
  if (list.length === 0) throw new TypeError('createTestEnvironments needs at least one environment.')
  const defaults: Record<EnvironmentName, string> = { sandbox: TEST_ENVIRONMENT_ID, live: TEST_LIVE_ENVIRONMENT_ID }
  const environments: TestEnvironment[] = []
  for (const options of list) {
    if (options.name !== 'sandbox' && options.name !== 'live')
      throw new TypeError(`An environment's name is "sandbox" or "live"; got ${JSON.stringify(options.name)}.`)
    const environmentId = options.environmentId ?? defaults[options.name]
    if (environments.some((known) => known.environmentId === environmentId))
      throw new TypeError(`Two environments have the id ${environmentId}: give each its own environmentId.`)
    // Fresh keys when there are several: the per-process pool could hand two of them the same material.
    const issuer = createTestIssuer({ ...options, environmentId, freshKeys: options.freshKeys ?? list.length > 1 })
    environments.push(Object.assign(issuer, { name: options.name }))
  }
  return {
    environments,
    environment: (nameOrId) => find(environments, nameOrId),
    listen: (options = {}) => serveEnvironments(environments, options),
  }
}

const SCOPED = /^\/api\/v0\/(?:sdk|environments)\/([^/]{1,64})(?:\/|$)/
const SESSION = /^\/(?:api\/v0|emulator)\/sessions\/([^/]{1,64})/

/** Serves every environment on one server: each request goes to the environment its path (or `?environmentId=`) names. */
async function serveEnvironments(
  environments: readonly TestEnvironment[],
  options: TestIssuerListenOptions,
): Promise<TestEnvironmentsServer> {
  const { port = 0, host = '127.0.0.1' } = options
  checkListenHost(host, options)
  let origin = ''
  const served = environments.map((issuer) => ({
    issuer,
    routes: createEmulatorRoutes(issuer, { ...options, environmentName: issuer.name }, () => origin),
  }))
  const byId = new Map(served.map((entry) => [entry.issuer.environmentId, entry.routes]))
  const first = served[0]!.routes

  /**
   * The environment a request is for: the id in its path (Dynamic's SDK and admin paths), else
   * `?environmentId=`, else the one that knows the session or the address it names, else the first.
   */
  function routesOf(req: IncomingMessage): EmulatorRoutes {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const named = SCOPED.exec(url.pathname)?.[1] ?? url.searchParams.get('environmentId') ?? undefined
    if (named !== undefined) {
      const routes = byId.get(decodeURIComponent(named))
      if (!routes)
        throw new EmulatorError(
          404,
          'environment_not_found',
          `No environment ${named.slice(0, 64)} here: this local Dynamic serves ${[...byId.keys()].join(', ')}.`,
        )
      return routes
    }
    const session = SESSION.exec(url.pathname)?.[1]
    if (session !== undefined)
      return served.find((entry) => entry.routes.emulator.session(decodeURIComponent(session)))?.routes ?? first
    const address =
      url.pathname === '/emulator/otp' ? (url.searchParams.get('email') ?? url.searchParams.get('phone')) : null
    if (address) return served.find((entry) => entry.routes.emulator.lastCode(address) !== undefined)?.routes ?? first
    return first
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((req.url ?? '/') === '/' && req.method === 'GET') {
      sendJson(res, 200, {
        name: 'Local Dynamic emulator (dynamic-guard/testing): several environments, test keys trusted by nothing but apps pointed at these JWKS',
        apiBaseUrl: `${origin}/api/v0`,
        environments: environments.map((issuer) => ({
          name: issuer.name,
          environmentId: issuer.environmentId,
          issuer: issuer.issuer,
          jwksUrl: `${origin}/api/v0/sdk/${issuer.environmentId}/.well-known/jwks`,
        })),
      })
      return
    }
    return routesOf(req).route(req, res)
  }

  const server = await serveEmulator(
    {
      corsHeaders: (req) => first.corsHeaders(req),
      route,
      close: () => {
        for (const entry of served) entry.routes.close()
      },
    },
    port,
    host,
  )
  origin = server.origin
  const views: TestEnvironmentServer[] = served.map(({ issuer, routes }) => {
    const base = `${origin}/api/v0/sdk/${issuer.environmentId}`
    return {
      name: issuer.name,
      origin,
      environmentId: issuer.environmentId,
      apiBaseUrl: `${origin}/api/v0`,
      otpUrl: `${origin}/emulator/otp`,
      emulator: routes.emulator,
      jwksUrl: `${base}/.well-known/jwks`,
      tokenUrl: `${base}/verify`,
      rotateKeyUrl: `${origin}/emulator/rotate-key?environmentId=${issuer.environmentId}`,
      get jwksRequests() {
        return routes.jwksRequests
      },
      get tokenRequests() {
        return routes.tokenRequests
      },
      close: server.close,
    }
  })
  return {
    origin,
    apiBaseUrl: `${origin}/api/v0`,
    environments: views,
    environment: (nameOrId) => find(views, nameOrId),
    close: server.close,
  }
}
