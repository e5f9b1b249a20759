/**
 * The Node side of a conformance run: the local Dynamic stand-in (dynamic-guard/testing) behind an
 * HTTP server on 127.0.0.1 that serves its JWKS where Dynamic does, and a small control API the
 * suite drives from the runtime under test (mint, sign, rotate, outage). One server per run, so
 * runs on different runtimes never share a key or an outage.
 */
import { createPublicKey } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer, TEST_USER_ID, type MintOptions } from '../../src/testing/index.js'

export interface ControlServer {
  /** `http://127.0.0.1:<port>`: the origin the suite is given. */
  readonly origin: string
  close(): Promise<void>
}

type Outage = { mode: 'off' } | { mode: 'status'; status: number } | { mode: 'hang' }

/** JSON has no `undefined`: a `null` in `claims` or `header` removes that member. */
function nullsToUndefined(record: unknown): Record<string, unknown> | undefined {
  if (typeof record !== 'object' || record === null) return undefined
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, value === null ? undefined : value]))
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

export async function startControlServer(): Promise<ControlServer> {
  const issuer = createTestIssuer()
  const jwksPath = `/api/v0/sdk/${issuer.environmentId}/.well-known/jwks`
  let jwksRequests = 0
  let outage: Outage = { mode: 'off' }
  let origin = ''

  const currentPem = (): string => {
    const jwk = issuer.jwks().keys.find((key) => key.kid === issuer.kid)!
    return createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
  }

  const routes: Record<string, (body: Record<string, unknown>) => unknown> = {
    '/control/state': () => ({
      environmentId: issuer.environmentId,
      issuer: issuer.issuer,
      userId: TEST_USER_ID,
      kid: issuer.kid,
      jwksUrl: `${origin}${jwksPath}`,
      jwksRequests,
      publicKeyPem: currentPem(),
    }),
    '/control/mint': (body) => {
      const options = { ...body, claims: nullsToUndefined(body.claims), header: nullsToUndefined(body.header) } as MintOptions
      return { token: issuer.mint(options) }
    },
    '/control/sign': (body) => ({ token: issuer.sign(body.header as Record<string, unknown>, body.payload) }),
    '/control/rotate': (body) => ({ kid: issuer.rotateKey({ keepPrevious: body.keepPrevious !== false }) }),
    '/control/outage': (body) => {
      outage = body as unknown as Outage
      return { ok: true }
    },
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (path === jwksPath) {
      jwksRequests++
      if (outage.mode === 'hang') return // never answers; closed with the server
      if (outage.mode === 'status') {
        res.writeHead(outage.status, { 'content-type': 'application/json' }).end('{"error":"unavailable"}')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=600' }).end(JSON.stringify(issuer.jwks()))
      return
    }
    const route = routes[path]
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    readJson(req)
      .then((body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(route(body))))
      .catch((error: unknown) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) })))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
