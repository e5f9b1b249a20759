/** The shared HTTP pieces on their own: extraction, the refusal mapping, option validation. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { bearerToken, cookieValue, queryToken } from '../../src/http/extract.js'
import { refusalFor } from '../../src/http/refusal.js'
import { resolveAuthenticateOptions } from '../../src/http/options.js'
import { guardRequest, guardSettings, scopeDecision, PREFLIGHT_ANSWER } from '../../src/http/guard.js'
import { NO_HOOKS } from '../../src/hooks.js'
import { isPreflight, nodeReader, webReader } from '../../src/http/request.js'
import { setupAdapter } from '../../src/http/setup.js'
import { DynamicAuthError, DynamicAuthConfigError, ERROR_CODES, ERROR_STATUS } from '../../src/index.js'

describe('bearerToken', () => {
  it('reads the Bearer scheme in any case, with one or more spaces', () => {
    for (const value of [
      'Bearer abc.def.ghi',
      'bearer abc.def.ghi',
      'BEARER   abc.def.ghi',
      ' Bearer abc.def.ghi ',
      'Bearer\tabc.def.ghi'.replace('\t', ' '),
    ]) {
      assert.equal(bearerToken(value), 'abc.def.ghi', JSON.stringify(value))
    }
  })

  it('ignores other schemes', () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Bearerx abc', 'Token abc', 'DPoP abc', ''])
      assert.equal(bearerToken(value), undefined, value)
  })

  // Other control characters inside the token are left to the strict token parser (401 token_malformed).
  it('refuses a Bearer header without a single token as invalid_request', () => {
    for (const value of ['Bearer', 'Bearer ', 'bearer    ', 'Bearer a b', 'Bearer a,b', 'Bearer a, b']) {
      assert.throws(
        () => bearerToken(value),
        (error: DynamicAuthError) => error.code === 'invalid_request' && error.status === 400,
        JSON.stringify(value),
      )
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
      if (
        refusal.status === 401 ||
        refusal.status === 400 ||
        code === 'insufficient_scope' ||
        code.startsWith('elevated_token_')
      ) {
        assert.match(challenge ?? '', /^Bearer realm="api"/, code)
        // RFC 6750 §3: no `"` or `\` inside the quoted values.
        assert.doesNotMatch(challenge!.replace(/="[^"\\]*"/g, ''), /["\\]/, code)
      } else assert.equal(challenge, undefined, code)
      if (refusal.status === 503) assert.match(refusal.headers['retry-after'] ?? '', /^\d+$/, code)
    }
  })

  it('puts the required scopes in the challenge and the retry delay in Retry-After', () => {
    const scope = refusalFor(new DynamicAuthError('insufficient_scope', 'no', { missingScopes: ['wallet:sign'] }), {
      realm: 'r',
      scopes: ['user:basic', 'wallet:sign'],
    })
    assert.equal(
      scope.headers['www-authenticate'],
      'Bearer realm="r", error="insufficient_scope", error_description="no", scope="user:basic wallet:sign"',
    )
    const missing = refusalFor(new DynamicAuthError('insufficient_scope', 'no', { missingScopes: ['a'] }))
    assert.match(missing.headers['www-authenticate']!, /scope="a"$/)
    const stepUp = refusalFor(
      new DynamicAuthError('elevated_token_reused', 'again', { requiredScopes: ['wallet:export', 'wallet:sign'] }),
    )
    assert.equal(stepUp.status, 403)
    assert.equal(
      stepUp.headers['www-authenticate'],
      'Bearer realm="api", error="insufficient_scope", error_description="again", scope="wallet:export wallet:sign"',
    )
    assert.deepEqual(JSON.parse(stepUp.json), {
      error: 'insufficient_scope',
      error_description: 'again',
      code: 'elevated_token_reused',
      required_scopes: ['wallet:export', 'wallet:sign'],
    })
    const down = refusalFor(new DynamicAuthError('jwks_unavailable', 'down', { retryAfter: 12.2 }))
    assert.equal(down.headers['retry-after'], '13')
  })
})

describe('adapter options', () => {
  it('are validated once, with a clear error', () => {
    for (const bad of [
      { optional: 'yes' },
      { cookieName: 'a;b' },
      { queryParam: 'a b' },
      { realm: 'a\\b' },
      { requiredScopes: ['a b'] },
      { allowedOrigins: ['ftp://x'] },
      { allowedOrigins: 'https://x' },
      { refusals: 'throw' },
      { refusals: true },
      { passPreflightsToApp: 'yes' },
    ]) {
      assert.throws(() => resolveAuthenticateOptions(bad as never), DynamicAuthConfigError, JSON.stringify(bad))
    }
    const resolved = resolveAuthenticateOptions({ allowedOrigins: ['HTTPS://App.Example.com:443/path'] })
    assert.deepEqual([...(resolved.allowedOrigins as Set<string>)], ['https://app.example.com'])
  })
})

describe('verifier options given to an adapter', () => {
  const environmentId = '2762a57b-faa4-41ce-9f16-abff9300e2c9'
  it('take the groups, mixed with adapter options', () => {
    const setup = setupAdapter({
      environmentId,
      jwks: { url: 'https://keys.example/jwks', cooldown: 0 },
      advanced: { tokenCacheSize: 0 },
      optional: true,
    })
    assert.equal(setup.auth.environmentId, environmentId)
    assert.equal(setup.options.optional, true)
  })
  it('say where an option of the flat 0.x layout moved, and suggest across groups and adapter options', () => {
    assert.throws(
      () => setupAdapter({ environmentId, jwksUrl: 'https://keys.example/jwks' } as never),
      /^DynamicAuthConfigError: dynamic-guard: jwksUrl moved to jwks\.url: write \{ jwks: \{ url: \.\.\. \} \}\.$/,
    )
    assert.throws(
      () => setupAdapter({ environmentId, jwks: { cooldwn: 0 } } as never),
      /unknown option "jwks\.cooldwn"; did you mean jwks\.cooldown\?/,
    )
    assert.throws(
      () => setupAdapter({ environmentId, optinal: true } as never),
      /unknown option "optinal"; did you mean optional\?/,
    )
  })
})

describe('the guard decision', () => {
  const preflightHeaders = { origin: 'https://app.example', 'access-control-request-method': 'POST' }
  const node = (method: string, headers: Record<string, string>) => ({ method, url: '/x', headers })
  const verifier = {
    verifyToken: () => Promise.reject(new DynamicAuthError('token_expired', 'expired')),
    requiredScopes: ['user:basic'],
    hooks: NO_HOOKS,
  }
  const setup = (options = {}) => setupAdapter({ auth: verifier as never, ...options })

  it('takes a preflight to be OPTIONS with both Origin and Access-Control-Request-Method', () => {
    assert.equal(isPreflight(nodeReader, node('OPTIONS', preflightHeaders)), true)
    assert.equal(
      isPreflight(webReader, new Request('https://h/x', { method: 'OPTIONS', headers: preflightHeaders })),
      true,
    )
    assert.equal(isPreflight(nodeReader, node('OPTIONS', { 'access-control-request-method': 'POST' })), false)
    assert.equal(isPreflight(nodeReader, node('OPTIONS', { origin: 'https://app.example' })), false)
    assert.equal(isPreflight(nodeReader, node('POST', preflightHeaders)), false)
  })

  it('answers preflights 204 unless passPreflightsToApp, and answers or forwards refusals', async () => {
    assert.deepEqual(await guardRequest(setup(), node('OPTIONS', preflightHeaders), nodeReader), {
      action: 'answer',
      answer: PREFLIGHT_ANSWER,
      error: undefined,
    })
    assert.deepEqual(
      await guardRequest(setup({ passPreflightsToApp: true }), node('OPTIONS', preflightHeaders), nodeReader),
      { action: 'continue', session: undefined },
    )
    const answered = await guardRequest(setup(), node('GET', { authorization: 'Bearer a.b.c' }), nodeReader)
    assert.equal(answered.action, 'answer')
    assert.equal(answered.action === 'answer' && answered.answer.status, 401)
    const forwarded = await guardRequest(
      setup({ refusals: 'forward', realm: 'r' }),
      node('GET', { authorization: 'Bearer a.b.c' }),
      nodeReader,
    )
    assert.equal(forwarded.action, 'forward')
    const error = forwarded.action === 'forward' ? forwarded.error : undefined
    assert.equal(error?.code, 'token_expired')
    assert.equal(error?.statusCode, 401)
    assert.match(error?.headers['www-authenticate'] ?? '', /^Bearer realm="r", error="invalid_token"/)
    assert.doesNotMatch(error?.stack ?? '', /\n\s+at /)
  })

  it('requireScopes follows the settings the guard stored on the request, or the defaults without them', async () => {
    const defaults = setup()
    const stored = guardSettings(defaults)
    assert.ok(Object.isFrozen(stored), 'one frozen object per guard, stored as it is on each request')
    assert.equal(stored.auth, defaults.auth, 'it carries the verifier, for the helpers after the guard')
    assert.deepEqual(
      { ...stored, auth: undefined },
      {
        refusals: 'respond',
        passPreflights: false,
        realm: 'api',
        auth: undefined,
      },
    )
    const lone = node('OPTIONS', preflightHeaders)
    assert.equal(scopeDecision(lone, nodeReader, undefined, ['wallet:sign'], undefined).action, 'answer')
    const anonymous = scopeDecision(node('GET', {}), nodeReader, undefined, ['wallet:sign'], undefined)
    assert.equal(anonymous.action === 'answer' && anonymous.answer.status, 401)
    const passing = setup({ passPreflightsToApp: true })
    const passed = node('OPTIONS', preflightHeaders)
    await guardRequest(passing, passed, nodeReader)
    assert.equal(
      scopeDecision(passed, nodeReader, undefined, ['wallet:sign'], guardSettings(passing)).action,
      'continue',
    )
    const forwarding = setup({ refusals: 'forward', realm: 'wallets' })
    const forwarded = node('GET', { authorization: 'Bearer a.b.c' })
    await guardRequest(forwarding, forwarded, nodeReader)
    const decision = scopeDecision(forwarded, nodeReader, undefined, ['wallet:sign'], guardSettings(forwarding))
    assert.equal(decision.action, 'forward')
    assert.equal(decision.action === 'forward' && decision.error.headers['www-authenticate'], 'Bearer realm="wallets"')
  })
})
