/**
 * One table of step-up scenarios run against every adapter. Each fixture builds, on a real
 * framework instance listening on 127.0.0.1, the routes:
 *
 *   POST /api/export     the guard, then requireElevated({ scopes: ['wallet:export'] }) → { userId, singleUse }
 *   POST /api/update     the guard, then requireElevated({ scopes: ['user:update'] })   → the same
 *   POST /opt/export     the guard with optional: true, then requireElevated(wallet:export)
 *   POST /custom/export  the guard with refusals: 'forward', then requireElevated(wallet:export); the
 *                        app's own error handling answers 422 { custom: true, code } + x-custom: yes
 *   POST /lone/export    requireElevated(wallet:export) with no guard before it (middleware adapters)
 *
 * `singleUse` is the grant's, where the adapter hands the grant over (null otherwise).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createDynamicAuth, type DynamicAuth } from '../../src/index.js'
import { createMemoryOneTimeStore } from '../../src/extend.js'
import { createTestIssuer, TEST_USER_ID, type TestIssuer } from '../../src/testing/index.js'
import { call, type Answer, type RunningApp } from '../adapters/harness.js'

export interface ElevatedFixture {
  readonly name: string
  /** Middleware adapters can mount requireElevated without a guard; wrappers cannot. */
  readonly guardless: boolean
  /** The adapter hands the grant to the handler. */
  readonly grant: boolean
  start(auth: DynamicAuth): Promise<RunningApp>
}

/** Asserts a 403 insufficient_scope answer naming `scope`, with `code`. */
export function assertStepUp(answer: Answer, code: string, scope = 'wallet:export'): void {
  assert.equal(answer.status, 403, answer.text)
  assert.deepEqual(answer.body, {
    error: 'insufficient_scope',
    error_description: answer.body?.error_description,
    code,
    required_scopes: [scope],
  })
  assert.equal(typeof answer.body?.error_description, 'string')
  assert.match(
    answer.headers.get('www-authenticate') ?? '',
    new RegExp(`^Bearer realm="api", error="insufficient_scope", error_description="[^"]+", scope="${scope}"$`),
  )
  assert.equal(answer.headers.get('cache-control'), 'no-store')
}

export function runElevatedSuite(fixture: ElevatedFixture): void {
  describe(`requireElevated on ${fixture.name}`, () => {
    let issuer: TestIssuer
    let app: RunningApp
    let full: RunningApp
    let sid = 0
    /** A session token and the header to send an elevated token of the same session with. */
    const session = () => {
      const id = `session-${++sid}`
      return { id, token: issuer.mint({ sid: id }) }
    }
    const post = (base: string, path: string, token: string | undefined, elevated?: string) =>
      call(`${base}${path}`, {
        method: 'POST',
        ...(token === undefined ? {} : { token }),
        headers: elevated === undefined ? {} : { 'x-dyn-elevated-access-token': elevated },
      })

    before(async () => {
      issuer = createTestIssuer()
      app = await fixture.start(createDynamicAuth(issuer.authOptions()))
      const store = createMemoryOneTimeStore({ maxEntries: 1 })
      await store.claim('a-live-id', Date.now() / 1000 + 3600) // full from the start
      full = await fixture.start(createDynamicAuth({ ...issuer.authOptions(), oneTimeStore: store }))
    })
    after(() => Promise.all([app?.close(), full?.close()]))

    it('accepts a single-use token once, then refuses it with elevated_token_reused', async () => {
      const { id, token } = session()
      const elevated = issuer.mintElevated({ scopes: ['wallet:export'], sid: id })
      const first = await post(app.url, '/api/export', token, elevated)
      assert.equal(first.status, 200, first.text)
      assert.deepEqual(first.body, { userId: TEST_USER_ID, singleUse: fixture.grant ? true : null })
      assertStepUp(await post(app.url, '/api/export', token, elevated), 'elevated_token_reused')
    })

    it('accepts a time-bound token as often as it is sent until it expires', async () => {
      const { id, token } = session()
      const elevated = issuer.mintElevated({ scopes: ['user:update'], sid: id })
      for (let i = 0; i < 3; i++) {
        const answer = await post(app.url, '/api/update', token, elevated)
        assert.equal(answer.status, 200, answer.text)
        assert.deepEqual(answer.body, { userId: TEST_USER_ID, singleUse: fixture.grant ? false : null })
      }
    })

    it('refuses a request without the elevated token: 403 naming the scope in the body and WWW-Authenticate', async () => {
      const answer = await post(app.url, '/api/export', session().token)
      assertStepUp(answer, 'elevated_token_missing')
      assert.match(String(answer.body?.error_description), /checkStepUpAuth.*getElevatedAccessToken/)
    })

    it('refuses a token for another scope: elevated_token_missing, nothing consumed', async () => {
      const { id, token } = session()
      const elevated = issuer.mintElevated({ scopes: ['wallet:sign'], sid: id })
      assertStepUp(await post(app.url, '/api/export', token, elevated), 'elevated_token_missing')
      const updater = issuer.mintElevated({ scopes: ['wallet:export'], sid: id })
      assertStepUp(await post(app.url, '/api/update', token, updater), 'elevated_token_missing', 'user:update')
      assert.equal((await post(app.url, '/api/export', token, updater)).status, 200, 'not consumed by the refusal')
    })

    it("refuses another user's token and another session's: elevated_token_mismatch", async () => {
      const { id, token } = session()
      const theirs = issuer.mintElevated({ scopes: ['wallet:export'], sid: id, sub: 'another-user' })
      assertStepUp(await post(app.url, '/api/export', token, theirs), 'elevated_token_mismatch')
      const otherSession = issuer.mintElevated({ scopes: ['wallet:export'], sid: session().id })
      assertStepUp(await post(app.url, '/api/export', token, otherSession), 'elevated_token_mismatch')
    })

    it('refuses an expired or forged token: elevated_token_invalid', async () => {
      const { id, token } = session()
      const expired = issuer.mintElevated({ scopes: ['wallet:export'], sid: id, expired: true })
      const answer = await post(app.url, '/api/export', token, expired)
      assertStepUp(answer, 'elevated_token_invalid')
      assert.match(String(answer.body?.error_description), /token_expired/)
      assert.ok(!answer.text.includes(expired), 'never echoed')
      const forged = createTestIssuer().mintElevated({ scopes: ['wallet:export'], sid: id })
      assertStepUp(await post(app.url, '/api/export', token, forged), 'elevated_token_invalid')
    })

    it('never takes an elevated token as the session token', async () => {
      const { id } = session()
      const elevated = issuer.mintElevated({ scopes: ['wallet:export'], sid: id })
      const answer = await post(app.url, '/api/export', elevated, elevated)
      assert.equal(answer.status, 403)
      assert.equal(answer.body?.code, 'insufficient_scope')
      assert.equal((await post(app.url, '/api/export', undefined, elevated)).status, 401)
    })

    it('refuses an anonymous request in optional mode: 401 token_missing', async () => {
      const elevated = issuer.mintElevated({ scopes: ['wallet:export'], sid: 'x' })
      const answer = await post(app.url, '/opt/export', undefined, elevated)
      assert.equal(answer.status, 401, answer.text)
      assert.equal(answer.body?.code, 'token_missing')
    })

    it("hands refusals to the app's error handling with refusals: 'forward'", async () => {
      const answer = await post(app.url, '/custom/export', session().token)
      assert.equal(answer.status, 422, answer.text)
      assert.deepEqual(answer.body, { custom: true, code: 'elevated_token_missing' })
      assert.equal(answer.headers.get('x-custom'), 'yes')
    })

    it('fails closed when the memory store is full: 503 one_time_store_unavailable with Retry-After', async () => {
      const { id, token } = session()
      const elevated = issuer.mintElevated({ scopes: ['wallet:export'], sid: id })
      const answer = await post(full.url, '/api/export', token, elevated)
      assert.equal(answer.status, 503, answer.text)
      assert.equal(answer.headers.get('retry-after'), '5')
      assert.equal(answer.body?.code, 'one_time_store_unavailable')
      assert.equal(answer.body?.error, 'temporarily_unavailable')
      const timeBound = issuer.mintElevated({ scopes: ['user:update'], sid: id })
      assert.equal(
        (await post(full.url, '/api/update', token, timeBound)).status,
        200,
        'time-bound tokens need no store',
      )
    })

    if (fixture.guardless) {
      it('without a guard before it, refuses cleanly: 401 saying to mount the guard first', async () => {
        const { id, token } = session()
        const answer = await post(
          app.url,
          '/lone/export',
          token,
          issuer.mintElevated({ scopes: ['wallet:export'], sid: id }),
        )
        assert.equal(answer.status, 401, answer.text)
        assert.equal(answer.body?.code, 'token_missing')
        assert.match(String(answer.body?.error_description), /mount .* before it/)
      })
    }
  })
}
