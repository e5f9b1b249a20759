/** The shared HTTP pieces on their own: extraction, the refusal mapping, option validation. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { bearerToken, cookieValue, queryToken } from '../../src/http/extract.js'
import { refusalFor } from '../../src/http/refusal.js'
import { resolveAuthenticateOptions } from '../../src/http/options.js'
import { DynamicAuthError, DynamicAuthConfigError, ERROR_CODES, ERROR_STATUS } from '../../src/index.js'

describe('bearerToken', () => {
  it('reads the Bearer scheme in any case, with one or more spaces', () => {
    for (const value of ['Bearer abc.def.ghi', 'bearer abc.def.ghi', 'BEARER   abc.def.ghi', ' Bearer abc.def.ghi ', 'Bearer\tabc.def.ghi'.replace('\t', ' ')]) {
      assert.equal(bearerToken(value), 'abc.def.ghi', JSON.stringify(value))
    }
  })

  it('ignores other schemes', () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearerx abc', 'Token abc', 'DPoP abc', '']) assert.equal(bearerToken(value), undefined, value)
  })

  // Other control characters inside the token are left to the strict token parser (401 token_malformed).
  it('refuses a Bearer header without a single token as invalid_request', () => {
    for (const value of ['Bearer', 'Bearer ', 'bearer    ', 'Bearer a b', 'Bearer a,b', 'Bearer a, b']) {
      assert.throws(() => bearerToken(value), (error: DynamicAuthError) => error.code === 'invalid_request' && error.status === 400, JSON.stringify(value))
    }
  })
})

describe('cookieValue', () => {
  it('finds the named cookie and only that one', () => {
    assert.equal(cookieValue('DYNAMIC_JWT_TOKEN=a.b.c', 'DYNAMIC_JWT_TOKEN'), 'a.b.c')
    assert.equal(cookieValue('x=1; DYNAMIC_JWT_TOKEN=a.b.c; y=2', 'DYNAMIC_JWT_TOKEN'), 'a.b.c')
    assert.equal(cookieValue('x=1;DYNAMIC_JWT_TOKEN="a.b.c"', 'DYNAMIC_JWT_TOKEN'), 'a.b.c')
    assert.equal(cookieValue('DYNAMIC_JWT_TOKEN=first; DYNAMIC_JWT_TOKEN=second', 'DYNAMIC_JWT_TOKEN'), 'first')
    assert.equal(cookieValue('XDYNAMIC_JWT_TOKEN=a; DYNAMIC_JWT_TOKENX=b', 'DYNAMIC_JWT_TOKEN'), undefined)
    assert.equal(cookieValue('DYNAMIC_JWT_TOKEN=; other=1', 'DYNAMIC_JWT_TOKEN'), undefined)
    assert.equal(cookieValue('', 'DYNAMIC_JWT_TOKEN'), undefined)
    assert.equal(cookieValue(';;;=;DYNAMIC_JWT_TOKEN', 'DYNAMIC_JWT_TOKEN'), undefined)
  })
})

describe('queryToken', () => {
  it('reads one parameter and refuses two', () => {
    assert.equal(queryToken('/events?access_token=a.b.c&x=1', 'access_token'), 'a.b.c')
    assert.equal(queryToken('https://h/events?x=1#access_token=z', 'access_token'), undefined)
    assert.equal(queryToken('/events', 'access_token'), undefined)
    assert.throws(() => queryToken('/e?access_token=a&access_token=b', 'access_token'), { code: 'invalid_request' })
  })
})

describe('refusalFor', () => {
  it('maps every error code to one RFC 6750 answer', () => {
    for (const code of ERROR_CODES) {
      const refusal = refusalFor(new DynamicAuthError(code, `Why "${code}" \\ happened.`))
      assert.ok([400, 401, 403, 503].includes(refusal.status), code)
      assert.equal(refusal.status, ERROR_STATUS[code], code)
      assert.deepEqual(Object.keys(JSON.parse(refusal.json)).sort(), ['code', 'error', 'error_description'])
      const challenge = refusal.headers['www-authenticate']
      if (refusal.status === 401 || refusal.status === 400 || code === 'insufficient_scope') {
        assert.match(challenge ?? '', /^Bearer realm="api"/, code)
        // RFC 6750 §3: no `"` or `\` inside the quoted values.
        assert.doesNotMatch(challenge!.replace(/="[^"\\]*"/g, ''), /["\\]/, code)
      } else assert.equal(challenge, undefined, code)
      if (refusal.status === 503) assert.match(refusal.headers['retry-after'] ?? '', /^\d+$/, code)
    }
  })

  it('puts the required scopes in the challenge and the retry delay in Retry-After', () => {
    const scope = refusalFor(new DynamicAuthError('insufficient_scope', 'no', { missingScopes: ['wallet:sign'] }), { realm: 'r', scopes: ['user:basic', 'wallet:sign'] })
    assert.equal(scope.headers['www-authenticate'], 'Bearer realm="r", error="insufficient_scope", error_description="no", scope="user:basic wallet:sign"')
    const missing = refusalFor(new DynamicAuthError('insufficient_scope', 'no', { missingScopes: ['a'] }))
    assert.match(missing.headers['www-authenticate']!, /scope="a"$/)
    const down = refusalFor(new DynamicAuthError('jwks_unavailable', 'down', { retryAfter: 12.2 }))
    assert.equal(down.headers['retry-after'], '13')
  })
})

describe('adapter options', () => {
  it('are validated once, with a clear error', () => {
    for (const bad of [{ optional: 'yes' }, { cookieName: 'a;b' }, { queryParam: 'a b' }, { realm: 'a\\b' }, { requiredScopes: ['a b'] }, { allowedOrigins: ['ftp://x'] }, { allowedOrigins: 'https://x' }]) {
      assert.throws(() => resolveAuthenticateOptions(bad as never), DynamicAuthConfigError, JSON.stringify(bad))
    }
    const resolved = resolveAuthenticateOptions({ allowedOrigins: ['HTTPS://App.Example.com:443/path'] })
    assert.deepEqual([...(resolved.allowedOrigins as Set<string>)], ['https://app.example.com'])
  })
})
