/**
 * The Node side of a conformance run: the local Dynamic emulator (dynamic-guard/testing) behind an
 * HTTP server on 127.0.0.1 that serves its JWKS where Dynamic does, and a small control API the
 * suite drives from the runtime under test (mint, sign, rotate, outage). One server per run, so
 * runs on different runtimes never share a key or an outage.
 */
import { createPublicKey } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer, TEST_USER_ID, type MintOptions } from '../../src/testing/index.js'
import { acceptRsaPublicKey } from '../../src/keys/public-key-pem.js'

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
    return createPublicKey({ key: jwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString()
  }

  /**
   * The current key in every form `staticKeys.publicKey` takes (`accepted`), and texts it refuses with the
   * message this Node gives (`refused`): each runtime must verify with the first and refuse the
   * second with exactly the same message.
   */
  const keyForms = () => {
    const jwk = issuer.jwks().keys.find((key) => key.kid === issuer.kid)!
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' })
    const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const pkcs1 = publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()
    const body = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')
    const der = publicKey.export({ type: 'spki', format: 'der' })
    const accepted: Record<string, string> = {}
    for (const [name, pem] of [
      ['SPKI', spki],
      ['PKCS#1', pkcs1],
    ] as const) {
      const label = name === 'SPKI' ? 'PUBLIC KEY' : 'RSA PUBLIC KEY'
      accepted[`${name} PEM`] = pem
      accepted[`${name} on one line, a space before END`] =
        `-----BEGIN ${label}-----${body(pem)} -----END ${label}-----`
      accepted[`${name} with \\n written out, in quotes`] = JSON.stringify(pem)
      accepted[`${name} with CRLF, tabs and surrounding whitespace`] =
        `\r\n\t ${pem.replace(/\n/g, '\r\n').replace(/^([A-Za-z0-9+/]{20})/gm, '$1\t')} \r\n`
      accepted[`${name} in single quotes`] = `'${pem.trim()}'`
    }
    accepted['bare SPKI base64'] = body(spki)
    accepted['bare SPKI base64 with line breaks'] = body(spki).replace(/(.{64})/g, '$1\n')
    const refused: Record<string, string> = {
      'a private-key label': `-----BEGIN PRIVATE KEY-----\n${body(spki)}\n-----END PRIVATE KEY-----`,
      'a certificate label': `-----BEGIN CERTIFICATE-----\n${body(spki)}\n-----END CERTIFICATE-----`,
      'a truncated key': `-----BEGIN PUBLIC KEY-----\n${der.subarray(0, 300).toString('base64')}\n-----END PUBLIC KEY-----`,
      'trailing bytes': `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([der, Buffer.from([0, 0])]).toString('base64')}\n-----END PUBLIC KEY-----`,
      'not base64': spki.replace(/M/, '*'),
      'no END line': spki.replace(/-----END PUBLIC KEY-----\s*$/, ''),
      garbage: 'not a key at all',
    }
    return {
      accepted: Object.entries(accepted).map(([name, text]) => ({ name, text })),
      refused: Object.entries(refused).map(([name, text]) => {
        const reading = acceptRsaPublicKey(text, 'staticKeys.publicKey')
        return { name, text, message: 'rejected' in reading ? `dynamic-guard: ${reading.rejected}` : 'accepted' }
      }),
    }
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
      keyForms: keyForms(),
    }),
    '/control/mint': (body) => {
      const options = {
        ...body,
        claims: nullsToUndefined(body.claims),
        header: nullsToUndefined(body.header),
      } as MintOptions
      return { token: issuer.mint(options) }
    },
    '/control/mint-elevated': (body) => ({
      token: issuer.mintElevated({
        ...body,
        claims: nullsToUndefined(body.claims),
      } as unknown as Parameters<typeof issuer.mintElevated>[0]),
    }),
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
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=600' })
        .end(JSON.stringify(issuer.jwks()))
      return
    }
    const route = routes[path]
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    readJson(req)
      .then((body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(route(body))))
      .catch((error: unknown) =>
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) })),
      )
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
