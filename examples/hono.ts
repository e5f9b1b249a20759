/** Hono 4 (Node, Bun, Deno, Workers). In your app: `import { ... } from 'dynamic-guard/hono'`. */
import { Hono } from 'hono'
import { createDynamicAuth } from '../src/index.js'
import { DynamicAuthException, dynamicAuth, requireScopes, type DynamicAuthEnv } from '../src/adapters/hono.js'

const auth = createDynamicAuth({ environmentId: '2762a57b-faa4-41ce-9f16-abff9300e2c9' })

const api = new Hono<DynamicAuthEnv>()
api.use('*', dynamicAuth(auth))
api.get('/me', (c) => {
  const session = c.get('auth') // DynamicSession, typed through Hono's Variables
  return c.json({ userId: session.userId, email: session.email ?? null })
})
api.post('/transfers', requireScopes('wallet:sign'), (c) => c.json({ from: c.get('auth').userId }, 201))

const app = new Hono()
app.route('/api', api)
app.get('/feed', dynamicAuth(auth, { optional: true }), (c) => c.json({ personalised: c.get('auth') !== undefined }))

// Optional: replace the RFC 6750 answer.
app.onError((error, c) => {
  if (error instanceof DynamicAuthException)
    return c.json({ message: 'Please sign in again', code: error.error.code }, error.status)
  return c.json({ message: 'Internal error' }, 500)
})

export default app
