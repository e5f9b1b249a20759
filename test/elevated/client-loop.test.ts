/**
 * The step-up loop end to end, with Dynamic's real client in Node against the local Dynamic and a
 * real Express backend on 127.0.0.1: the backend refuses with 403 insufficient_scope naming the
 * scope; the client runs checkStepUpAuth, verifies again with requestedScopes, takes the token
 * with getElevatedAccessToken and retries with x-dyn-elevated-access-token; the backend accepts
 * it once (single use) and a time-bound token as long as it lives. This is the loop the step-up
 * guide shows.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import express from 'express'
import {
  checkStepUpAuth,
  createDynamicClient,
  getElevatedAccessToken,
  initializeClient,
  logout,
  sendEmailOTP,
  TokenScope,
  verifyOTP,
  type DynamicClient,
} from '@dynamic-labs-sdk/client'
import { createDynamicAuth } from '../../src/index.js'
import { dynamicAuth, requireElevated } from '../../src/adapters/express.js'
import { createTestIssuer, dynamicClientConfig, type TestIssuerServer } from '../../src/testing/index.js'
import { listen, type RunningApp } from '../adapters/harness.js'

const OTP = '135790'
const issuer = createTestIssuer()

describe("the step-up loop with Dynamic's real client", () => {
  let server: TestIssuerServer
  let backend: RunningApp
  const settle: Array<() => Promise<void>> = []

  before(async () => {
    server = await issuer.listen({ otpCode: OTP })
    const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.jwksUrl } })
    const app = express()
    app.use('/api', dynamicAuth(auth))
    app.post('/api/export', requireElevated({ scopes: ['wallet:export'] }), (req, res) => {
      res.json({ exported: true, singleUse: req.elevated!.singleUse })
    })
    app.post('/api/profile', requireElevated({ scopes: ['user:update'] }), (req, res) => {
      res.json({ updated: true, singleUse: req.elevated!.singleUse })
    })
    backend = await listen(createServer(app))
  })
  after(async () => {
    for (const done of settle) await done()
    await backend.close()
    await server.close()
  })

  /** What a front end does: call; on 403 insufficient_scope, step up for the scope it names, and retry once. */
  async function callWithStepUp(client: DynamicClient, email: string, path: string, log: string[]): Promise<Response> {
    const send = (elevated?: string) =>
      fetch(`${backend.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${client.token}`,
          ...(elevated ? { 'x-dyn-elevated-access-token': elevated } : {}),
        },
      })
    const first = await send()
    if (first.status !== 403) return first
    const body = (await first.json()) as { error: string; code: string; required_scopes?: string[] }
    log.push(`${first.status} ${body.code} ${first.headers.get('www-authenticate')?.match(/scope="([^"]+)"/)?.[1]}`)
    if (body.error !== 'insufficient_scope' || !body.required_scopes) return first
    const [scope] = body.required_scopes as [TokenScope]
    if ((await checkStepUpAuth({ scope }, client)).isRequired) {
      // The step-up UI: the user verifies again (here, an email code), asking for the scope.
      const otpVerification = await sendEmailOTP({ email }, client)
      await verifyOTP({ otpVerification, verificationToken: OTP, requestedScopes: [scope] }, client)
      log.push(`stepped up for ${scope}`)
    }
    return send(getElevatedAccessToken({ scope }, client))
  }

  test('refused naming the scope, stepped up, accepted; single use once, time-bound again', async () => {
    const config = dynamicClientConfig(server)
    const client = createDynamicClient(config)
    settle.push(async () => {
      if (client.user) await logout(client)
      await config.idle()
    })
    await initializeClient(client)
    const email = 'step-up-loop@example.com'
    await verifyOTP({ otpVerification: await sendEmailOTP({ email }, client), verificationToken: OTP }, client)

    const log: string[] = []
    const exported = await callWithStepUp(client, email, '/api/export', log)
    assert.equal(exported.status, 200)
    assert.deepEqual(await exported.json(), { exported: true, singleUse: true })
    assert.deepEqual(log, ['403 elevated_token_missing wallet:export', 'stepped up for wallet:export'])

    // The client consumed the single-use token; the next export steps up again.
    log.length = 0
    const again = await callWithStepUp(client, email, '/api/export', log)
    assert.equal(again.status, 200)
    assert.deepEqual(log, ['403 elevated_token_missing wallet:export', 'stepped up for wallet:export'])

    // A time-bound token: one step-up, then the client keeps sending it.
    log.length = 0
    assert.equal((await callWithStepUp(client, email, '/api/profile', log)).status, 200)
    const kept = getElevatedAccessToken({ scope: TokenScope.Userupdate }, client)
    assert.ok(kept, 'the client keeps a time-bound token')
    const reused = await fetch(`${backend.url}/api/profile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.token}`, 'x-dyn-elevated-access-token': kept },
    })
    assert.deepEqual(await reused.json(), { updated: true, singleUse: false })
    assert.deepEqual(log, ['403 elevated_token_missing user:update', 'stepped up for user:update'])
  })

  test('a single-use token replayed by hand is refused the second time: elevated_token_reused', async () => {
    const config = dynamicClientConfig(server)
    const client = createDynamicClient(config)
    settle.push(async () => {
      if (client.user) await logout(client)
      await config.idle()
    })
    await initializeClient(client)
    const email = 'step-up-replay@example.com'
    await verifyOTP({ otpVerification: await sendEmailOTP({ email }, client), verificationToken: OTP }, client)
    const otpVerification = await sendEmailOTP({ email }, client)
    await verifyOTP({ otpVerification, verificationToken: OTP, requestedScopes: [TokenScope.Walletexport] }, client)
    const elevated = getElevatedAccessToken({ scope: TokenScope.Walletexport }, client)
    assert.ok(elevated)
    const send = () =>
      fetch(`${backend.url}/api/export`, {
        method: 'POST',
        headers: { authorization: `Bearer ${client.token}`, 'x-dyn-elevated-access-token': elevated },
      })
    assert.equal((await send()).status, 200)
    const second = await send()
    assert.equal(second.status, 403)
    assert.equal(((await second.json()) as { code: string }).code, 'elevated_token_reused')
  })
})
