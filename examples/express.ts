/**
 * Express (4 or 5). In your app: `import { ... } from 'dynamic-guard/express'` and
 * `import { createDynamicAuth } from 'dynamic-guard'`.
 */
import express from 'express'
import { createDynamicAuth } from '../src/index.js'
import { dynamicAuth, requireScopes } from '../src/adapters/express.js'

const auth = createDynamicAuth({
  environmentId: process.env.DYNAMIC_ENVIRONMENT_ID ?? '2762a57b-faa4-41ce-9f16-abff9300e2c9',
})

const app = express()
app.use(express.json())

// Public.
app.get('/health', (_req, res) => {
  res.json({ keys: auth.keyStatus().kids.length })
})

// Everything under /api needs a signed-in Dynamic user.
app.use('/api', dynamicAuth(auth))
app.get('/api/me', (req, res) => {
  const session = req.auth! // DynamicSession, typed
  res.json({ userId: session.userId, wallets: session.walletAddresses })
})
app.post('/api/transfers', requireScopes('wallet:sign'), (req, res) => {
  res.status(201).json({ from: req.auth!.userId, body: req.body as unknown })
})

// Anonymous or signed in.
app.get('/feed', dynamicAuth(auth, { optional: true }), (req, res) => {
  res.json({ personalised: req.auth !== undefined })
})

// Refusals are answered by dynamicAuth() itself: RFC 6750 (401/403/400/503 with WWW-Authenticate, JSON body).
// To answer them in your error middleware instead: dynamicAuth(auth, { refusals: 'forward' }) (see dynamicAuthErrorHandler).

export default app
