/**
 * JWKS faults against a real local endpoint: every failure of the key source ends in a typed
 * refusal (jwks_unavailable, 503) or, when good keys are cached, in no change at all; a bad
 * answer never replaces good keys; and the endpoint is never hammered. Request counts are
 * asserted exactly and reported as diagnostics.
 */
import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createDynamicAuth, TEST_ENVIRONMENT_ID, type DynamicAuth, type DynamicAuthOptions } from './subject.js'
import {
  claimsFor,
  NOW,
  publishedJwk,
  recordingServer,
  refused,
  rsaPair,
  serveJson,
  signToken,
  type RecordingServer,
  type RsaPair,
} from './toolkit.js'
import { withOptions } from '../support/options.js'

const ENV = TEST_ENVIRONMENT_ID
const PATH = `/api/v0/sdk/${ENV}/.well-known/jwks`

describe('JWKS faults', () => {
  let a: RsaPair
  let b: RsaPair
  let attacker: RsaPair
  let server: RecordingServer
  let other: RecordingServer
  let now: number
  const clock = (): number => now
  const token = (pair: RsaPair, kid: string, overrides: Record<string, unknown> = {}): string =>
    signToken(
      'RS256',
      pair.privateKey,
      { alg: 'RS256', kid },
      claimsFor(ENV, { exp: Math.floor(now / 1000) + 3600, iat: Math.floor(now / 1000), ...overrides }),
    )
  const make = (extra: Partial<DynamicAuthOptions> = {}): DynamicAuth =>
    createDynamicAuth(
      withOptions(
        {
          environmentId: ENV,
          jwks: {
            url: `${server.origin}${PATH}`,
            timeout: 10_000,
            cooldown: 30_000,
            cacheMaxAge: 600_000,
            maxBackoff: 60_000,
          },
          advanced: { clock },
        },
        extra,
      ),
    )
  const good = (): ReturnType<typeof serveJson> => serveJson({ keys: [publishedJwk(a, 'a')] })
  const report = (t: TestContext, what: string): void =>
    t.diagnostic(`${what}: the JWKS endpoint received ${server.count()} request(s)`)

  before(async () => {
    a = rsaPair()
    b = rsaPair()
    attacker = rsaPair()
    other = await recordingServer(serveJson({ keys: [publishedJwk(attacker, 'a')] }))
  })
  after(() => other.close())

  const fresh = async (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> => {
    now = NOW * 1000
    server = await recordingServer(handler)
  }
  const done = (): Promise<void> => server.close()

  it('5xx: refused with jwks_unavailable (503), retried only after the backoff', async (t) => {
    await fresh((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'))
    try {
      const auth = make()
      const error = await refused(auth.verifyToken(token(a, 'a')), 'jwks_unavailable')
      assert.equal(error.status, 503)
      assert.ok((error.retryAfter ?? 0) >= 1)
      assert.doesNotMatch(error.message, /eyJ/)
      for (let i = 0; i < 20; i++) await refused(auth.verifyToken(token(a, 'a')), 'jwks_unavailable')
      assert.equal(server.count(), 1, 'retried inside the backoff')
      now += 1001
      server.handle(good())
      await auth.verifyToken(token(a, 'a'))
      assert.equal(server.count(), 2)
      report(t, '21 verifications during a 5xx, then one after the backoff')
    } finally {
      await done()
    }
  })

  it("503 with Retry-After: the server's wait is honoured", async (t) => {
    await fresh((_req, res) => res.writeHead(503, { 'retry-after': '120' }).end())
    try {
      const auth = make()
      const error = await refused(auth.verifyToken(token(a, 'a')), 'jwks_unavailable')
      assert.ok((error.retryAfter ?? 0) >= 119, `retryAfter ${error.retryAfter}`)
      now += 60_000
      await refused(auth.verifyToken(token(a, 'a')), 'jwks_unavailable')
      assert.equal(server.count(), 1)
      report(t, 'Retry-After 120')
    } finally {
      await done()
    }
  })

  it('a hanging endpoint: refused after jwks.timeout, concurrent callers share one request', async (t) => {
    await fresh(() => undefined)
    try {
      const auth = make({ jwks: { timeout: 300 } })
      // Signed first: signing RSA-4096 tokens between the verifications would eat the timeout.
      const tokens = Array.from({ length: 20 }, () => token(a, 'a'))
      const results = await Promise.allSettled(tokens.map((t) => auth.verifyToken(t)))
      for (const r of results)
        await refused(r.status === 'rejected' ? Promise.reject(r.reason) : Promise.resolve(r.value), 'jwks_unavailable')
      assert.equal(server.count(), 1)
      report(t, '20 concurrent verifications against a hanging endpoint')
    } finally {
      await done()
    }
  })

  it('a slow drip: the timeout covers the body', async (t) => {
    await fresh((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"keys":[')
      const timer = setInterval(() => res.write(' '), 25)
      res.on('close', () => clearInterval(timer))
    })
    try {
      await refused(make({ jwks: { timeout: 400 } }).verifyToken(token(a, 'a')), 'jwks_unavailable')
      assert.equal(server.count(), 1)
      report(t, 'slow drip')
    } finally {
      await done()
    }
  })

  it('truncated, huge, HTML and malformed bodies are refused, never half-read', async (t) => {
    const full = JSON.stringify({ keys: [publishedJwk(a, 'a')] })
    const bodies: Array<[string, (req: IncomingMessage, res: ServerResponse) => void]> = [
      [
        'a body cut short of its content-length',
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) })
          res.write(full.slice(0, 100))
          setImmediate(() => res.socket?.destroy())
        },
      ],
      ['complete but truncated JSON', serveJson(full.slice(0, full.length / 2))],
      [
        '1 MB with a content-length',
        serveJson(JSON.stringify({ keys: [publishedJwk(a, 'a')], pad: 'x'.repeat(1 << 20) })),
      ],
      [
        '1 MB chunked, no content-length',
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.write(full.slice(0, -2))
          for (let i = 0; i < 64; i++) res.write(`,{"pad":"${'x'.repeat(16_000)}"}`)
          res.end(']}')
        },
      ],
      [
        'HTML',
        (_req, res) =>
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Login</body></html>'),
      ],
      ['JSON null', serveJson('null')],
      ['a JSON array', serveJson(JSON.stringify([publishedJwk(a, 'a')]))],
      ['keys not an array', serveJson({ keys: { a: publishedJwk(a, 'a') } })],
      ['no keys member', serveJson({ key: [publishedJwk(a, 'a')] })],
      ['10 000 keys', serveJson(`{"keys":[${Array.from({ length: 10_000 }, () => '{}').join(',')}]}`)],
      [
        'only unusable keys',
        serveJson({ keys: [{ kty: 'oct', kid: 'a', k: 'c2VjcmV0' }, publishedJwk(a, 'a', { use: 'enc' })] }),
      ],
      [
        'invalid UTF-8',
        (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from([0x7b, 0xff, 0x7d])),
      ],
      ['an empty 200', (_req, res) => res.writeHead(200).end()],
      ['204 No Content', (_req, res) => res.writeHead(204).end()],
    ]
    for (const [label, handler] of bodies) {
      await fresh(handler)
      try {
        await refused(make().verifyToken(token(a, 'a')), 'jwks_unavailable', label)
        assert.equal(server.count(), 1, label)
        report(t, label)
      } finally {
        await done()
      }
    }
  })

  it('redirects are refused and the other host is never contacted', async (t) => {
    for (const status of [301, 302, 303, 307, 308]) {
      await fresh((_req, res) => res.writeHead(status, { location: `${other.origin}${PATH}` }).end())
      try {
        await refused(make().verifyToken(token(attacker, 'a')), 'jwks_unavailable', `HTTP ${status}`)
        assert.equal(server.count(), 1)
      } finally {
        await done()
      }
    }
    assert.equal(other.count(), 0, 'a redirect was followed')
    t.diagnostic('redirects 301/302/303/307/308: the redirect target received 0 requests')
  })

  it('a JWKS that changes between requests: rotation works, removal revokes, bad answers never replace good keys', async (t) => {
    await fresh(good())
    try {
      const events: string[] = []
      const auth = make({
        jwks: { cooldown: 0, cacheMaxAge: 60_000, staleIfError: 3_600_000, onEvent: (e) => events.push(e.type) },
      })
      const tokenA = token(a, 'a')
      await auth.verifyToken(tokenA)
      // Rotation: b appears; its first token triggers one refetch.
      server.handle(serveJson({ keys: [publishedJwk(a, 'a'), publishedJwk(b, 'b')] }))
      const tokenB = token(b, 'b')
      await auth.verifyToken(tokenB)
      assert.equal(server.count(), 2)
      // The endpoint now answers garbage: past the max age, the good keys are served stale.
      server.handle(serveJson('<html>maintenance</html>'))
      now += 61_000
      await auth.verifyToken(tokenB)
      await auth.verifyToken(token(a, 'a', { sid: 'other-session' }))
      assert.ok(events.includes('jwks_error') && events.includes('jwks_stale'), events.join(','))
      // Then it answers only unusable keys: that answer does not replace the good keys either.
      server.handle(
        serveJson({ keys: [{ kty: 'oct', kid: 'b', k: 'c2VjcmV0' }, publishedJwk(attacker, 'a', { use: 'enc' })] }),
      )
      now += 61_000
      await auth.verifyToken(tokenB)
      await auth.verifyToken(tokenA)
      // a is removed: once refetched, a's tokens (even the cached one) are refused.
      server.handle(serveJson({ keys: [publishedJwk(b, 'b')] }))
      now += 61_000
      await auth.verifyToken(tokenB)
      await refused(auth.verifyToken(tokenA), 'key_not_found', 'token of a removed key')
      // The attacker's key appears under b's kid: b's tokens (cached or not) stop verifying.
      server.handle(serveJson({ keys: [publishedJwk(attacker, 'b')] }))
      now += 61_000
      await refused(auth.verifyToken(tokenB), 'signature_invalid', 'cached token after its key changed')
      await auth.verifyToken(token(attacker, 'b')) // the JWKS is the trust anchor: its keys are trusted
      report(t, 'rotation, outage, removal and replacement')
    } finally {
      await done()
    }
  })

  it('a flood of unknown kids: fetches bounded by the gap and the budget, the rest 503, cached keys untouched', async (t) => {
    // Every wave signed before the server starts: signing 1000 RSA-4096 tokens blocks the process
    // for seconds, which between requests would outlast the server's keep-alive.
    const waves = Array.from({ length: 5 }, () => Array.from({ length: 200 }, () => token(attacker, randomUUID())))
    await fresh(good())
    try {
      const auth = make()
      const outcomes = new Map<string, number>()
      const wave = async (): Promise<void> => {
        for (const e of await Promise.all(
          waves.shift()!.map((t) => refused(auth.verifyToken(t), ['key_not_found', 'jwks_unavailable'])),
        )) {
          if (e.code === 'jwks_unavailable') assert.ok((e.retryAfter ?? 0) >= 1, 'a 503 says when to retry')
          outcomes.set(e.code, (outcomes.get(e.code) ?? 0) + 1)
        }
      }
      await wave()
      // The cold fetch began before most kids were met, so one more fetch settles them as absent.
      assert.equal(server.count(), 2, 'first wave (cold start, then one fetch for the kids met meanwhile)')
      assert.equal(outcomes.get('key_not_found'), 200)
      await wave()
      await wave()
      assert.equal(server.count(), 2, 'waves inside jwks.cooldown (30 s here) make no request')
      assert.equal(outcomes.get('jwks_unavailable'), 400, 'kids met inside the cooldown cannot be checked yet: 503')
      await auth.verifyToken(token(a, 'a'))
      assert.equal(server.count(), 2, 'the real key still verifies without a fetch')
      now += 30_001
      await wave()
      // One fetch after the cooldown. Only the kid that asked for it is settled by it: the others
      // were met while it was under way, and a fetch that began before a kid was met may predate
      // its key, so they cannot be refused with a 401 until a later fetch (here, 30 s later).
      assert.equal(server.count(), 3, 'after the cooldown, one fetch')
      assert.equal(outcomes.get('key_not_found'), 201)
      assert.equal(outcomes.get('jwks_unavailable'), 599)
      await wave()
      assert.equal(server.count(), 3)
      report(t, '1000 tokens with random kids in 5 waves of 200')
    } finally {
      await done()
    }
  })
})
