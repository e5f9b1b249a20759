/**
 * Hostile HTTP against every adapter, over real servers on 127.0.0.1 and a raw socket client (so
 * duplicate headers, tabs and oversized headers reach the server exactly as written). The same
 * matrix runs against Express (with and without our error handler), Fastify, Hono, Koa, the fetch
 * adapter and the Next route wrapper; every refusal is checked for RFC 6750 shape and for leaks
 * (the token, a stack trace, a file path).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createDynamicAuth, loadSource, TEST_ENVIRONMENT_ID, type DynamicAuth } from './subject.js'
import { claimsFor, fixedClock, publishedJwk, rsaPair, signToken, type RsaPair } from './toolkit.js'

const ENV = TEST_ENVIRONMENT_ID
const KID = 'real-kid'
const COOKIE = 'DYNAMIC_JWT_TOKEN'
/** The origin Dynamic issued the test tokens to (their aud). */
const SITE = 'http://localhost:3000'

interface Answer {
  status: number
  headers: Record<string, string[]>
  body: string
}

/** Sends `head` (request line and header lines, no final CRLF) and reads the whole answer. */
function rawRequest(port: number, head: string, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const lines = text.slice(0, split).split('\r\n')
      const status = Number(lines[0]?.split(' ')[1])
      const headers: Record<string, string[]> = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).trim().toLowerCase()
        ;(headers[name] ??= []).push(line.slice(colon + 1).trim())
      }
      let payload = text.slice(split + 4)
      if (headers['transfer-encoding']?.[0]?.includes('chunked')) payload = dechunk(payload)
      resolve({ status, headers, body: Buffer.from(payload, 'latin1').toString('utf8') })
    })
    socket.write(`${head}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'latin1')
  })
}

function dechunk(text: string): string {
  let out = ''
  let rest = text
  for (;;) {
    const line = rest.indexOf('\r\n')
    const size = parseInt(rest.slice(0, line), 16)
    if (!size) return out
    out += rest.slice(line + 2, line + 2 + size)
    rest = rest.slice(line + 2 + size + 2)
  }
}

interface Running {
  readonly port: number
  close(): Promise<void>
}
type AdapterOptions = Record<string, unknown>
type Starter = (auth: DynamicAuth, options: AdapterOptions) => Promise<Running>

function listenNode(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      }),
    )
  })
}

const json = (session: { userId: string } | undefined): string => JSON.stringify({ userId: session?.userId ?? null })

async function serveFetch(handler: (request: Request) => Promise<Response> | Response): Promise<Running> {
  const { createAdaptorServer } = await import('@hono/node-server')
  return listenNode(createAdaptorServer({ fetch: handler }) as Server)
}

const ADAPTERS: Record<string, Starter> = {
  async 'express (forwarded to dynamicAuthErrorHandler)'(auth, options) {
    const { default: express } = await import('express')
    const m = await loadSource<typeof import('../../src/adapters/express.js')>('adapters/express.ts')
    const app = express()
    app.use(m.dynamicAuth(auth, { ...options, refusals: 'forward' }))
    app.all('/private', (req, res) => void res.type('json').send(json(req.auth)))
    app.use(m.dynamicAuthErrorHandler())
    const { createServer } = await import('node:http')
    return listenNode(createServer(app))
  },
  async 'express (no error handler, development)'(auth, options) {
    const { default: express } = await import('express')
    const m = await loadSource<typeof import('../../src/adapters/express.js')>('adapters/express.ts')
    const app = express()
    app.set('env', 'development')
    app.use(m.dynamicAuth(auth, options))
    app.all('/private', (req, res) => void res.type('json').send(json(req.auth)))
    const { createServer } = await import('node:http')
    return listenNode(createServer(app))
  },
  async fastify(auth, options) {
    const { default: Fastify } = await import('fastify')
    const m = await loadSource<typeof import('../../src/adapters/fastify.js')>('adapters/fastify.ts')
    const app = Fastify()
    await app.register(m.dynamicAuthPlugin, { auth, ...options })
    app.all('/private', async (request, reply) => reply.type('application/json').send(json(request.auth)))
    await app.listen({ port: 0, host: '127.0.0.1' })
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() }
  },
  async hono(auth, options) {
    const { Hono } = await import('hono')
    const m = await loadSource<typeof import('../../src/adapters/hono.js')>('adapters/hono.ts')
    const app = new Hono<{ Variables: { auth: { userId: string } | undefined } }>()
    app.use('*', m.dynamicAuth(auth, options) as never)
    app.all('/private', (c) => c.body(json(c.get('auth')), 200, { 'content-type': 'application/json' }))
    return serveFetch(app.fetch)
  },
  async koa(auth, options) {
    const { default: Koa } = await import('koa')
    const m = await loadSource<typeof import('../../src/adapters/koa.js')>('adapters/koa.ts')
    const app = new Koa()
    app.silent = true
    app.use(m.dynamicAuth(auth, options))
    app.use((ctx) => {
      ctx.type = 'json'
      ctx.body = json(ctx.state.auth as { userId: string } | undefined)
    })
    const { createServer } = await import('node:http')
    return listenNode(createServer(app.callback()))
  },
  async 'koa (forwarded to dynamicAuthErrorHandler)'(auth, options) {
    const { default: Koa } = await import('koa')
    const m = await loadSource<typeof import('../../src/adapters/koa.js')>('adapters/koa.ts')
    const app = new Koa()
    app.silent = true
    app.use(m.dynamicAuthErrorHandler())
    app.use(m.dynamicAuth(auth, { ...options, refusals: 'forward' }))
    app.use((ctx) => {
      ctx.type = 'json'
      ctx.body = json(ctx.state.auth as { userId: string } | undefined)
    })
    const { createServer } = await import('node:http')
    return listenNode(createServer(app.callback()))
  },
  async fetch(auth, options) {
    const m = await loadSource<typeof import('../../src/adapters/fetch.js')>('adapters/fetch.ts')
    return serveFetch(
      m.withDynamicAuth(
        (_request, session) => new Response(json(session), { headers: { 'content-type': 'application/json' } }),
        auth,
        options,
      ),
    )
  },
  async 'node:http (protectNodeHandler)'(auth, options) {
    const { protectNodeHandler } = await loadSource<typeof import('../../src/http/index.js')>('http/index.ts')
    const handler = protectNodeHandler(
      (_req: IncomingMessage, res: ServerResponse, session) =>
        void res.writeHead(200, { 'content-type': 'application/json' }).end(json(session)),
      auth,
      options,
    )
    const { createServer } = await import('node:http')
    return listenNode(createServer((req, res) => void handler(req, res).catch(() => res.writeHead(500).end())))
  },
  async 'next (route handler)'(auth, options) {
    const m = await loadSource<typeof import('../../src/adapters/next.js')>('adapters/next.ts')
    const handler = m.withDynamicAuth(
      (_request, context) => Response.json(JSON.parse(json(context.auth))),
      auth,
      options,
    )
    return serveFetch((request) => handler(request as never, { params: Promise.resolve({}) }))
  },
}

describe('hostile HTTP, against every adapter', () => {
  let pair: RsaPair
  let auth: DynamicAuth
  let valid: string
  let other: string
  let tampered: string

  before(() => {
    pair = rsaPair()
    auth = createDynamicAuth({
      environmentId: ENV,
      staticKeys: { jwks: { keys: [publishedJwk(pair, KID)] } },
      advanced: { clock: fixedClock },
    })
    valid = signToken('RS256', pair.privateKey, { alg: 'RS256', kid: KID }, claimsFor(ENV, { aud: SITE }))
    other = signToken(
      'RS256',
      pair.privateKey,
      { alg: 'RS256', kid: KID },
      claimsFor(ENV, { aud: SITE, sub: 'other-user' }),
    )
    const [h, , s] = valid.split('.')
    tampered = `${h}.${Buffer.from(JSON.stringify(claimsFor(ENV, { sub: 'admin' }))).toString('base64url')}.${s}`
  })

  for (const [name, start] of Object.entries(ADAPTERS)) {
    describe(name, () => {
      let server: Running
      let withQuery: Running
      before(async () => {
        server = await start(auth, {})
        withQuery = await start(auth, { queryParam: 'token' })
      })
      after(async () => {
        await server.close()
        await withQuery.close()
      })

      const get = (headers: string[], path = '/private', target = server): Promise<Answer> =>
        rawRequest(target.port, [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${target.port}`, ...headers].join('\r\n'))
      const post = (headers: string[], target = server): Promise<Answer> =>
        rawRequest(
          target.port,
          [
            `POST /private HTTP/1.1`,
            `Host: 127.0.0.1:${target.port}`,
            'Content-Type: application/json',
            ...headers,
          ].join('\r\n'),
          '{}',
        )

      /** Checks an answer's status, and for refusals the RFC 6750 shape and the absence of leaks. */
      const expect = (
        answer: Answer,
        status: number,
        label: string,
        code?: string | string[],
        user = '8f2b1a6e-3c4d-4e5f-9a0b-1c2d3e4f5a6b',
      ): void => {
        assert.equal(answer.status, status, `${label}: status ${answer.status}, body ${answer.body.slice(0, 200)}`)
        if (status === 200) {
          assert.equal(JSON.parse(answer.body).userId, user, label)
          return
        }
        for (const secret of [valid, other, tampered]) {
          for (const part of secret.split('.'))
            assert.ok(
              !answer.body.includes(part) && !JSON.stringify(answer.headers).includes(part),
              `${label}: the answer holds the token`,
            )
        }
        assert.doesNotMatch(
          answer.body,
          /\n\s+at |node_modules|\/work\/|\.ts:\d+|Error: /,
          `${label}: a stack trace or path leaked`,
        )
        if (status === 431) return // answered by Node's HTTP parser itself
        if (status === 401)
          assert.match(answer.headers['www-authenticate']?.[0] ?? '', /^Bearer realm="/, `${label}: no challenge`)
        const body = JSON.parse(answer.body) as Record<string, unknown>
        if (code) assert.ok([code].flat().includes(body.code as string), `${label}: ${answer.body}`)
        if (status === 403 && code === 'insufficient_scope')
          assert.match(answer.headers['www-authenticate']?.[0] ?? '', /error="insufficient_scope"/)
      }

      it('Authorization variants', async () => {
        expect(await get([]), 401, 'no credentials', 'token_missing')
        expect(await get([`Authorization: Bearer ${valid}`]), 200, 'Bearer')
        expect(await get([`Authorization: bearer ${valid}`]), 200, 'bearer (scheme is case-insensitive)')
        expect(await get([`Authorization: BEARER ${valid}`]), 200, 'BEARER')
        expect(await get([`Authorization: Bearer  ${valid}`]), 200, 'two spaces')
        expect(await get([`Authorization: Bearer ${valid}   `]), 200, 'trailing spaces (stripped by the HTTP parser)')
        expect(await get([`Authorization: Bearer\t${valid}`]), 400, 'a tab', 'invalid_request')
        expect(await get([`Authorization: Bearer ${valid} extra`]), 400, 'two words', 'invalid_request')
        expect(
          await get([`Authorization: Bearer ${valid},Bearer ${other}`]),
          400,
          'two tokens, comma',
          'invalid_request',
        )
        expect(
          await get([`Authorization: Bearer ${valid}, Bearer ${other}`]),
          400,
          'two tokens, comma space',
          'invalid_request',
        )
        expect(
          await get([`Authorization: Bearer ${valid},${other}`]),
          400,
          'two tokens, a bare comma',
          'invalid_request',
        )
        expect(await get([`Authorization: Bearer ${valid},`]), 400, 'a trailing comma', 'invalid_request')
        expect(await get(['Authorization: Bearer']), 400, 'no token', 'invalid_request')
        expect(await get(['Authorization: Bearer ']), 400, 'no token, trailing space', 'invalid_request')
        expect(await get([`Authorization: Bearer "${valid}"`]), 401, 'quoted token', 'token_malformed')
        expect(
          await get([`Authorization: Bearer ${valid.replace(/\./g, '%2E')}`]),
          401,
          'percent-encoded',
          'token_malformed',
        )
        expect(await get([`Authorization: Bearer ${tampered}`]), 401, 'tampered', 'signature_invalid')
        expect(await get(['Authorization: Basic dXNlcjpwYXNz']), 401, 'Basic', 'token_missing')
        expect(await get([`Authorization: ${valid}`]), 401, 'no scheme', 'token_missing')
        expect(await get([`Authorization: Token ${valid}`]), 401, 'Token scheme', 'token_missing')
        expect(await get([`Authorization: Bearerx ${valid}`]), 401, 'Bearerx', 'token_missing')
        expect(await get([`Proxy-Authorization: Bearer ${valid}`]), 401, 'Proxy-Authorization only', 'token_missing')
        expect(
          await get([`X-Forwarded-Authorization: Bearer ${valid}`, `X-Original-Authorization: Bearer ${valid}`]),
          401,
          'forwarded headers',
          'token_missing',
        )
      })

      it('duplicate and conflicting credentials never authenticate with the wrong one', async () => {
        // Two Authorization fields are ambiguous (Node keeps the first, a proxy may use the last,
        // a Web Request joins them): every adapter refuses them.
        expect(
          await get([`Authorization: Bearer ${valid}`, `Authorization: Bearer ${tampered}`]),
          400,
          'valid then tampered',
          'invalid_request',
        )
        expect(
          await get([`Authorization: Bearer ${tampered}`, `Authorization: Bearer ${valid}`]),
          400,
          'tampered then valid',
          'invalid_request',
        )
        expect(
          await get([`Authorization: Bearer ${other}`, `authorization: Bearer ${valid}`]),
          400,
          'two users, two spellings',
          'invalid_request',
        )
        expect(
          await get([`Authorization: Bearer ${valid}`, `Authorization: Bearer ${valid}`]),
          400,
          'the same token twice',
          'invalid_request',
        )
        expect(
          await get(['Authorization: Basic dXNlcjpwYXNz', `Authorization: Bearer ${valid}`]),
          401,
          'Basic and Bearer',
          'token_missing',
        )
        // Header and cookie: the header decides; a bad header never falls through to the cookie.
        expect(
          await get([`Authorization: Bearer ${valid}`, `Cookie: ${COOKIE}=${tampered}`]),
          200,
          'valid header, bad cookie',
        )
        expect(
          await get([`Authorization: Bearer ${tampered}`, `Cookie: ${COOKIE}=${valid}`]),
          401,
          'bad header, valid cookie',
          'signature_invalid',
        )
        expect(
          await get(['Authorization: Bearer', `Cookie: ${COOKIE}=${valid}`]),
          400,
          'empty Bearer, valid cookie',
          'invalid_request',
        )
        // Duplicate cookies: the first one decides (browsers send the most specific first).
        expect(
          await get([`Cookie: ${COOKIE}=${tampered}; ${COOKIE}=${valid}`]),
          401,
          'bad cookie first',
          'signature_invalid',
        )
        expect(
          await get([`Cookie: ${COOKIE.toLowerCase()}=${valid}`]),
          401,
          'cookie name in lower case',
          'token_missing',
        )
        expect(await get([`Cookie: x${COOKIE}=${valid}`]), 401, 'a longer cookie name', 'token_missing')
      })

      it('cookie-borne CSRF: state-changing cookie requests need an allowed origin', async () => {
        const cookie = `Cookie: ${COOKIE}=${valid}`
        expect(await get([cookie]), 200, 'GET with the cookie')
        expect(await post([cookie]), 403, 'POST, no Origin', 'origin_not_allowed')
        expect(
          await post([cookie, 'Origin: https://evil.example']),
          403,
          'POST from evil.example',
          'origin_not_allowed',
        )
        expect(await post([cookie, 'Origin: null']), 403, 'POST from Origin null', 'origin_not_allowed')
        expect(
          await post([cookie, `Origin: ${SITE}.evil.example`]),
          403,
          'POST from a look-alike origin',
          'origin_not_allowed',
        )
        expect(
          await post([cookie, 'Referer: https://evil.example/page']),
          403,
          'POST with an evil Referer',
          'origin_not_allowed',
        )
        expect(
          await post([cookie, 'Origin: https://evil.example', `Referer: ${SITE}/`]),
          403,
          'evil Origin, good Referer',
          'origin_not_allowed',
        )
        expect(await post([cookie, `Origin: ${SITE}`]), 200, "POST from the token's own site")
        expect(await post([cookie, `Origin: http://127.0.0.1:${server.port}`]), 200, 'POST from the same host')
        expect(
          await post([`Authorization: Bearer ${valid}`, 'Origin: https://evil.example']),
          200,
          'a header token carries no ambient authority',
        )
      })

      it('query-string tokens: ignored unless enabled, then one only', async () => {
        expect(await get([], `/private?access_token=${valid}`), 401, 'access_token by default', 'token_missing')
        expect(await get([], `/private?token=${valid}`), 401, 'token by default', 'token_missing')
        expect(await get([], `/private?token=${valid}`, withQuery), 200, 'enabled')
        expect(await get([], `/private?token=${valid}&token=${other}`, withQuery), 400, 'twice', 'invalid_request')
        expect(
          await get([`Authorization: Bearer ${valid}`], `/private?token=${valid}`, withQuery),
          400,
          'header and query',
          'invalid_request',
        )
        expect(
          await get([], `/private?token=${tampered}`, withQuery),
          401,
          'tampered in the query',
          'signature_invalid',
        )
      })

      it('a request shaped like a CORS preflight never reaches the handler mounted for all methods', async () => {
        const options = (headers: string[]): Promise<Answer> =>
          rawRequest(
            server.port,
            [`OPTIONS /private HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, ...headers].join('\r\n'),
          )
        const preflight = ['Origin: https://evil.example', 'Access-Control-Request-Method: DELETE']
        for (const [label, headers] of [
          ['a preflight', preflight],
          ['a preflight with request headers', [...preflight, 'Access-Control-Request-Headers: authorization']],
          ['a preflight with a valid token', [...preflight, `Authorization: Bearer ${valid}`]],
          ['a preflight with the cookie', [...preflight, `Cookie: ${COOKIE}=${valid}`]],
          ['a preflight, lower-case names', ['origin: https://evil.example', 'access-control-request-method: GET']],
        ] as const) {
          const answer = await options([...headers])
          assert.equal(answer.status, 204, `${label}: status ${answer.status}, body ${answer.body.slice(0, 200)}`)
          assert.equal(answer.body, '', `${label}: the handler ran`)
          assert.equal(answer.headers['access-control-allow-origin'], undefined, label)
        }
        // Not preflight-shaped: authenticated like any request.
        expect(await options(['Access-Control-Request-Method: DELETE']), 401, 'no Origin', 'token_missing')
        expect(
          await options(['Origin: https://evil.example']),
          401,
          'no Access-Control-Request-Method',
          'token_missing',
        )
        expect(await options([]), 401, 'a plain OPTIONS', 'token_missing')
        expect(await options([`Authorization: Bearer ${valid}`]), 200, 'a plain OPTIONS with a token')
      })

      it('huge headers are refused without echoing them', async () => {
        expect(await get([`Authorization: Bearer ${'A'.repeat(20_000)}`]), 431, '20 KB Authorization')
        expect(await get([`Cookie: ${COOKIE}=${'A'.repeat(20_000)}`]), 431, '20 KB cookie')
        const big = `${valid}${'A'.repeat(14_000)}`
        const answer = await get([`Authorization: Bearer ${big}`])
        expect(answer, 401, '14 KB token', ['token_malformed', 'signature_invalid'])
        assert.ok(answer.body.length < 1000 && !answer.body.includes('AAAAAAAAAAAAAAAA'))
        const headerAlg = signToken('RS256', pair.privateKey, { alg: '<script>x</script>', kid: KID }, claimsFor(ENV))
        const reflected = await get([`Authorization: Bearer ${headerAlg}`])
        expect(reflected, 401, 'markup in alg', 'algorithm_not_allowed')
        assert.match(reflected.headers['content-type']?.[0] ?? '', /json/)
      })
    })
  }
})
