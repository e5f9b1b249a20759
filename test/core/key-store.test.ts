import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createDynamicAuth } from '../../src/index.js'
import type { KeyStoreEvent } from '../../src/extend.js'
import { createTestIssuer, type TestIssuer } from '../../src/testing/index.js'
import { deadUrl, failWith, hang, rejectsWith, startJwksServer, type JwksServer } from '../support/jwks-server.js'
import { withOptions } from '../support/options.js'

describe('the JWKS key store against a real endpoint', () => {
  let issuer: TestIssuer
  let server: JwksServer

  // The flood test's tokens, minted before any request: signing 700 RSA-4096 tokens blocks the
  // process for seconds, which between requests would outlast the server's keep-alive.
  let flood: string[], later: string[], afterCooldown: string, known: string

  before(async () => {
    issuer = createTestIssuer()
    const unknown = (count: number) =>
      Array.from({ length: count }, () => issuer.mint({ header: { kid: randomUUID() } }))
    flood = unknown(500)
    later = unknown(200)
    afterCooldown = unknown(1)[0]!
    known = issuer.mint()
    server = await startJwksServer(issuer)
  })
  after(() => server.close())

  const fresh = (options: Record<string, unknown> = {}) =>
    createDynamicAuth(
      withOptions(
        { environmentId: issuer.environmentId, jwks: { url: server.url }, advanced: { tokenCacheSize: 0 } },
        options,
      ),
    )

  it('fetches once on first use, and eagerly with warmUp', async () => {
    const before = server.requests
    const auth = fresh()
    await auth.warmUp()
    assert.equal(server.requests, before + 1)
    await auth.verifyToken(issuer.mint())
    await auth.verifyToken(issuer.mint())
    assert.equal(server.requests, before + 1)
    assert.deepEqual(auth.keyStatus().kids, [issuer.kid])
  })

  it('makes one request for many verifications racing the first fetch', async () => {
    const before = server.requests
    const auth = fresh()
    const tokens = Array.from({ length: 50 }, () => issuer.mint()) // minted first: RSA-4096 signing takes a while
    const sessions = await Promise.all(tokens.map((token) => auth.verifyToken(token)))
    assert.equal(sessions.length, 50)
    assert.equal(server.requests, before + 1)
  })

  it('remembers a kid a fetch did not list: refused from memory, with no further fetch', async () => {
    const auth = fresh()
    await auth.warmUp()
    const before = server.requests
    const made = issuer.mint({ header: { kid: randomUUID() } })
    const first = await rejectsWith(auth.verifyToken(made), 'key_not_found')
    assert.match(first.message, /fetched just now to look for it, and does not list it/)
    assert.doesNotMatch(
      first.message,
      /another Dynamic environment/,
      'no environment is suggested when the claims name this one',
    )
    assert.equal(server.requests - before, 1, 'one fetch for a kid never seen')
    for (let i = 0; i < 20; i++) {
      const again = await rejectsWith(auth.verifyToken(made), 'key_not_found')
      assert.match(again.message, /did not list it/)
    }
    assert.equal(server.requests - before, 1, 'no fetch for a kid known to be absent')
  })

  it('refuses without a fetch a token issued well before the last fetch by a key it did not list', async () => {
    const auth = fresh()
    await auth.warmUp()
    const before = server.requests
    const old = issuer.mint({ header: { kid: randomUUID() }, now: Math.floor(Date.now() / 1000) - 3600 })
    const error = await rejectsWith(auth.verifyToken(old), 'key_not_found')
    assert.match(error.message, /issued before the JWKS was last fetched/)
    assert.equal(server.requests, before, 'an old token of an unlisted key makes no request')
  })

  it('bounds the fetches a flood of made-up kids causes; what it cannot check now is 503 with Retry-After', async () => {
    let now = Date.now()
    // No minimum gap here (the clock stands still), so that the budget alone is seen.
    const auth = fresh({ advanced: { clock: () => now }, jwks: { cooldown: 0 } })
    await auth.warmUp()
    const before = server.requests
    // 500 at once: the first kid is fetched at once; the others met it under way, so one more
    // fetch settles them all.
    const codes = await Promise.all(
      flood.map((token) => auth.verifyToken(token).catch((e: { code: string }) => e.code)),
    )
    assert.ok(
      codes.every((c) => c === 'key_not_found'),
      [...new Set(codes)].join(','),
    )
    assert.equal(server.requests - before, 2, 'two fetches for 500 made-up kids')
    // 200 more, one at a time: the budget (4 at once, then one per 15 s) allows two more fetches;
    // past it, each is answered 503 with Retry-After, and no request is made.
    const later503: Array<{ retryAfter?: number; message: string }> = []
    for (const token of later) {
      try {
        await auth.verifyToken(token)
      } catch (error) {
        const e = error as { code: string; retryAfter?: number; message: string }
        if (e.code === 'jwks_unavailable') later503.push(e)
        else assert.equal(e.code, 'key_not_found')
      }
    }
    assert.equal(server.requests - before, 4, 'the budget bounds the fetches')
    assert.equal(later503.length, 198)
    assert.ok(
      later503.every((e) => (e.retryAfter ?? 0) >= 1 && e.retryAfter! <= 15),
      'Retry-After says when a fetch is allowed again',
    )
    assert.match(later503[0]!.message, /should retry, not sign in again/)
    // Known keys keep working during the flood, without requests.
    await auth.verifyToken(known)
    now += 15_000 // one fetch earned back
    await rejectsWith(auth.verifyToken(afterCooldown), 'key_not_found')
    assert.equal(server.requests - before, 5, 'one more once the budget refills')
  })

  it("names the token's environment when its claims say it is another one", async () => {
    const auth = fresh()
    await auth.warmUp()
    const other = '11111111-2222-4333-8444-555555555555'
    const token = issuer.mint({
      header: { kid: randomUUID() },
      claims: { environment_id: other, iss: `app.dynamicauth.com/${other}` },
    })
    const error = await rejectsWith(auth.verifyToken(token), 'key_not_found')
    assert.match(
      error.message,
      new RegExp(
        `issued for Dynamic environment ${other}, but this server verifies environment ${issuer.environmentId}`,
      ),
    )
  })

  it('accepts a rotated key once refetched and drops a removed key after the next refresh', async () => {
    const rotating = createTestIssuer()
    const endpoint = await startJwksServer(rotating)
    try {
      let now = Date.now()
      const auth = createDynamicAuth({
        environmentId: rotating.environmentId,
        jwks: { url: endpoint.url, cooldown: 0, cacheMaxAge: 60_000 },
        advanced: { clock: () => now },
      })
      const oldKid = rotating.kid
      const oldToken = rotating.mint()
      await auth.verifyToken(oldToken)
      rotating.rotateKey()
      const newToken = rotating.mint()
      await auth.verifyToken(newToken) // unknown kid → refetch → accepted
      assert.equal(endpoint.requests, 2)
      await auth.verifyToken(oldToken) // both keys published during the rotation
      rotating.removeKey(oldKid)
      now += 61_000 // the keys age out: the next use refetches
      await auth.verifyToken(newToken)
      assert.equal(endpoint.requests, 3)
      await rejectsWith(auth.verifyToken(oldToken), 'key_not_found')
    } finally {
      await endpoint.close()
    }
  })

  it('keeps serving cached keys through an outage, for a bounded time, then heals', async () => {
    const events: KeyStoreEvent[] = []
    let now = Date.now()
    const auth = fresh({
      jwks: {
        cacheMaxAge: 60_000,
        staleIfError: 3600_000,
        maxBackoff: 5000,
        onEvent: (e: KeyStoreEvent) => events.push(e),
      },
      advanced: { clock: () => now },
    })
    await auth.warmUp()
    server.behave(failWith(500))
    try {
      now += 61_000 // keys aged out, endpoint down
      await auth.verifyToken(issuer.mint({ now: Math.floor(now / 1000) }))
      assert.ok(events.some((e) => e.type === 'jwks_error'))
      assert.ok(events.some((e) => e.type === 'jwks_stale'))
      assert.equal(auth.keyStatus().consecutiveFailures, 1)
      now += 3600_000 // past max age + stale-if-error
      const error = await rejectsWith(
        auth.verifyToken(issuer.mint({ now: Math.floor(now / 1000) })),
        'jwks_unavailable',
      )
      assert.equal(error.status, 503)
      assert.ok((error.retryAfter ?? 0) >= 1)
      assert.match(error.message, /HTTP 500/)
    } finally {
      server.serve()
    }
    now += 10_000 // past the backoff: the next call retries and heals
    await auth.verifyToken(issuer.mint({ now: Math.floor(now / 1000) }))
    assert.equal(auth.keyStatus().consecutiveFailures, 0)
  })

  it('refreshes in the background before the keys age out', async () => {
    let now = Date.now()
    const auth = fresh({ jwks: { cacheMaxAge: 100_000 }, advanced: { clock: () => now } })
    await auth.warmUp()
    const before = server.requests
    now += 80_000 // past 75 % of max age
    await auth.verifyToken(issuer.mint({ now: Math.floor(now / 1000) }))
    await new Promise<void>((resolve) => {
      const poll = () => (server.requests > before ? resolve() : setTimeout(poll, 5))
      poll()
    })
    assert.equal(server.requests, before + 1)
  })

  it('honours Retry-After from a 429', async () => {
    let now = Date.now()
    server.behave(failWith(429, { 'retry-after': '120' }))
    try {
      const auth = fresh({ advanced: { clock: () => now } })
      const error = await rejectsWith(auth.verifyToken(issuer.mint()), 'jwks_unavailable')
      assert.ok((error.retryAfter ?? 0) >= 119)
      const before = server.requests
      now += 60_000
      await rejectsWith(auth.verifyToken(issuer.mint()), 'jwks_unavailable')
      assert.equal(server.requests, before, 'no request before Retry-After has passed')
      server.serve()
      now += 61_000
      await auth.verifyToken(issuer.mint())
    } finally {
      server.serve()
    }
  })

  it('refuses to follow a redirect, and reads no non-JSON or oversized body', async () => {
    const cases: Array<[Parameters<JwksServer['behave']>[0], RegExp]> = [
      [(_q, r) => void r.writeHead(302, { location: 'https://evil.example/jwks' }).end(), /redirect/],
      [(_q, r) => void r.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>'), /not JSON/],
      [(_q, r) => void r.writeHead(200).end('{"nokeys":1}'), /keys/],
      [
        (_q, r) =>
          void r.writeHead(200).end(JSON.stringify({ keys: [{ kty: 'RSA', kid: 'x', n: 'AQAB', e: 'AQAB' }] })),
        /no usable key/,
      ],
      [(_q, r) => void r.writeHead(200).end(JSON.stringify({ keys: [], pad: 'x'.repeat(100_000) })), /more than|bytes/],
    ]
    for (const [behaviour, message] of cases) {
      server.behave(behaviour)
      const auth = fresh()
      const error = await rejectsWith(auth.verifyToken(issuer.mint()), 'jwks_unavailable')
      assert.match(error.message, message)
    }
    server.serve()
  })

  it('never replaces good keys with a bad answer', async () => {
    let now = Date.now()
    const auth = fresh({ jwks: { cacheMaxAge: 60_000 }, advanced: { clock: () => now } })
    await auth.warmUp()
    server.behave((_q, r) => void r.writeHead(200).end('{"keys":[]}'))
    try {
      now += 61_000
      await auth.verifyToken(issuer.mint({ now: Math.floor(now / 1000) })) // stale keys, refresh refused
      assert.deepEqual(auth.keyStatus().kids, [issuer.kid])
    } finally {
      server.serve()
    }
  })
})

describe('cold starts against a broken endpoint', () => {
  const issuer = createTestIssuer()

  it('answers jwks_unavailable quickly for a dead endpoint, then backs off', async () => {
    const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: await deadUrl() } })
    const first = await rejectsWith(auth.verifyToken(issuer.mint()), 'jwks_unavailable')
    assert.match(first.message, /ECONNREFUSED|request failed/)
    const second = await rejectsWith(auth.verifyToken(issuer.mint()), 'jwks_unavailable')
    assert.equal(second.status, 503)
    assert.equal(
      auth.keyStatus().consecutiveFailures,
      1,
      'the second call waited out the backoff instead of refetching',
    )
  })

  it('gives up on a hanging endpoint after jwks.timeout, and shares that wait', async () => {
    const server = await startJwksServer(issuer)
    server.behave(hang)
    try {
      const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.url, timeout: 300 } })
      // Minted first: signing RSA-4096 tokens between the verifications would eat the timeout.
      const tokens = Array.from({ length: 20 }, () => issuer.mint())
      const results = await Promise.all(tokens.map((token) => rejectsWith(auth.verifyToken(token), 'jwks_unavailable')))
      assert.match(results[0]!.message, /no answer within 300 ms/)
      assert.equal(server.requests, 1)
    } finally {
      await server.close()
    }
  })

  it('gives up on a slow drip within the timeout', async () => {
    const server = await startJwksServer(issuer)
    server.behave((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"keys":[')
      const timer = setInterval(() => res.write(' '), 50)
      res.on('close', () => clearInterval(timer))
    })
    try {
      const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.url, timeout: 300 } })
      const error = await rejectsWith(auth.verifyToken(issuer.mint()), 'jwks_unavailable')
      assert.match(error.message, /300 ms/)
    } finally {
      await server.close()
    }
  })
  it('retries once, on a fresh connection, when the connection breaks before any answer', async () => {
    const server = await startJwksServer(issuer)
    let drops = 1
    // The first request's socket is cut without an answer, as when a kept-alive socket was
    // closed by the server meanwhile; the retry is answered.
    server.behave((req, res) => {
      if (drops-- > 0) return req.socket.destroy()
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks()))
    })
    try {
      const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.url } })
      await auth.verifyToken(issuer.mint())
      assert.equal(server.requests, 2)
      // A server that always cuts the connection: one retry, then jwks_unavailable; no loop.
      server.behave((req) => req.socket.destroy())
      const broken = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.url } })
      await rejectsWith(broken.verifyToken(issuer.mint()), 'jwks_unavailable')
      assert.equal(server.requests, 4)
    } finally {
      await server.close()
    }
  })
})
