/**
 * A token without `user:basic` is refused with insufficient_scope, and the refusal names the step
 * of Dynamic's sign-in still pending: in the message, in `error.pendingStep`, in `toJSON()` and
 * in the JSON body an adapter answers (`pending_step`), on a first verification and on a cache hit.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Hono } from 'hono'
import { dynamicAuth, type DynamicAuthEnv } from '../../src/adapters/hono.js'
import {
  createDynamicAuth,
  isDynamicAuthError,
  type DynamicAuthError,
  type DynamicPendingStep,
} from '../../src/index.js'
import { refusalFor } from '../../src/http/index.js'
import { createTestIssuer } from '../../src/testing/index.js'
import { call, serveFetch, type RunningApp } from '../adapters/harness.js'

const issuer = createTestIssuer()
const auth = createDynamicAuth(issuer.authOptions())

async function refusal(promise: Promise<unknown>): Promise<DynamicAuthError> {
  try {
    await promise
  } catch (error) {
    assert.ok(isDynamicAuthError(error))
    return error
  }
  assert.fail('expected a refusal')
}

const field = (name: string, label = name) => ({
  name,
  required: true,
  enabled: true,
  unique: false,
  verify: false,
  type: 'text',
  label,
})

interface Case {
  name: string
  scope: string
  claims?: Record<string, unknown>
  step: DynamicPendingStep | undefined
  message: RegExp
}

const CASES: Case[] = [
  { name: 'MFA', scope: 'requiresAdditionalAuth', step: 'mfa', message: /additional authentication \(MFA\) pending/ },
  {
    name: 'the information form',
    scope: 'userDataForm',
    claims: { missing_fields: [field('first_name', 'First name'), field('last_name', 'Last name')] },
    step: 'user_data_form',
    message: /the user has not completed the information form \(missing: first_name, last_name\)/,
  },
  {
    name: 'device registration',
    scope: 'device:register',
    step: 'device_registration',
    message: /device registration pending/,
  },
  {
    name: 'an empty scope',
    scope: '',
    step: 'sign_in_incomplete',
    message: /issued without user:basic \(an older token, or the sign-in did not complete\)/,
  },
  {
    name: 'no scope claim at all',
    scope: '',
    claims: { scope: undefined },
    step: 'sign_in_incomplete',
    message: /issued without user:basic/,
  },
  {
    name: 'MFA before the form',
    scope: 'userDataForm requiresAdditionalAuth',
    step: 'mfa',
    message: /\(MFA\) pending/,
  },
  {
    name: 'an unknown scope alone',
    scope: 'waasBackupToken',
    step: undefined,
    message: /lacks the "user:basic" scope/,
  },
]

describe('insufficient_scope names the pending step', () => {
  for (const c of CASES) {
    test(`${c.name}: ${c.step ?? 'no step named'}`, async () => {
      const token = issuer.mint({ scope: c.scope, ...(c.claims ? { claims: c.claims } : {}) })
      const error = await refusal(auth.verifyToken(token))
      assert.equal(error.code, 'insufficient_scope')
      assert.equal(error.status, 403)
      assert.match(error.message, c.message)
      assert.equal(error.pendingStep, c.step)
      assert.deepEqual(error.missingScopes, ['user:basic'])
      assert.equal(error.toJSON().pendingStep, c.step)
      assert.equal(
        'pendingStep' in error.toJSON(),
        c.step !== undefined,
        'toJSON carries the step only when there is one',
      )
      const body = refusalFor(error).body
      assert.equal(body.pending_step, c.step)
      // The same token again: refused the same way (a refusal is never cached as a success).
      assert.equal((await refusal(auth.verifyToken(token))).pendingStep, c.step)
    })
  }

  test("the form's field names are bounded and sanitised: at most five, printable, short", async () => {
    const names = [
      'email',
      'first"name',
      'last\\name\r\nX-Injected: 1',
      'a'.repeat(500),
      '\u0000\u202e',
      'phone',
      'country',
      'job_title',
      'team',
      42,
      null,
      { name: 7 },
    ]
    const token = issuer.mint({
      scope: 'userDataForm',
      claims: { missing_fields: names.map((n) => (typeof n === 'string' ? field(n) : n)) },
    })
    const error = await refusal(auth.verifyToken(token))
    assert.equal(error.pendingStep, 'user_data_form')
    const listed = /\(missing: (.*)\)/.exec(error.message)![1]!
    assert.equal(listed, `email, firstname, lastnameX-Injected: 1, ${'a'.repeat(40)}, phone and 3 more`)
    assert.ok(!/[^\x20-\x7e]/.test(error.message))
    // And it still makes a valid challenge header.
    assert.doesNotThrow(() => new Headers(refusalFor(error).headers))
  })

  test('no usable missing_fields: the form is named without a list', async () => {
    for (const missing of [undefined, [], 'first_name', [{ label: 'no name' }]]) {
      const error = await refusal(
        auth.verifyToken(issuer.mint({ scope: 'userDataForm', claims: { missing_fields: missing } })),
      )
      assert.equal(error.pendingStep, 'user_data_form')
      assert.match(error.message, /has not completed the information form, so the token lacks/)
    }
  })

  test('a missing extra scope names no step; a cache hit checks extra scopes the same way', async () => {
    const token = issuer.mint()
    assert.ok(await auth.verifyToken(token)) // cached
    const error = await refusal(auth.verifyToken(token, { requiredScopes: ['wallet:export'] }))
    assert.equal(error.pendingStep, undefined)
    assert.match(error.message, /lacks the scope "wallet:export"/)
    const stepUp = issuer.mint({ scopes: ['wallet:export'] })
    assert.ok(await auth.verifyToken(stepUp, { requiredScopes: ['wallet:export'] }))
    assert.ok(await auth.verifyToken(stepUp, { requiredScopes: ['wallet:export'] }), 'cache hit')
  })
})

describe("the pending step in an adapter's JSON answer (Hono on a real server)", () => {
  let app: RunningApp
  before(async () => {
    const hono = new Hono<DynamicAuthEnv>()
    hono.use('*', dynamicAuth(auth))
    hono.get('/me', (c) => c.json({ userId: c.get('auth').userId }))
    app = await serveFetch(hono.fetch)
  })
  after(() => app.close())

  for (const c of CASES.filter((x) => x.step !== undefined && !(x.claims && Object.hasOwn(x.claims, 'scope')))) {
    test(`${c.name}: 403, insufficient_scope, pending_step "${c.step}"`, async () => {
      const answer = await call(`${app.url}/me`, {
        token: issuer.mint({ scope: c.scope, ...(c.claims ? { claims: c.claims } : {}) }),
      })
      assert.equal(answer.status, 403)
      assert.match(answer.headers.get('www-authenticate')!, /error="insufficient_scope"/)
      assert.equal(answer.body?.code, 'insufficient_scope')
      assert.equal(answer.body?.pending_step, c.step)
      assert.match(String(answer.body?.error_description), c.message)
    })
  }

  test('a refusal with no pending step has no pending_step member', async () => {
    const answer = await call(`${app.url}/me`, { token: issuer.mint({ expired: true }) })
    assert.equal(answer.status, 401)
    assert.ok(answer.body && !('pending_step' in answer.body))
  })
})
