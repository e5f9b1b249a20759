/** Plain node:http: the core's one call. In your app: `import { createDynamicAuth, refusalFor, isDynamicAuthError } from 'dynamic-guard'`. */
import { createServer } from 'node:http'
import { createDynamicAuth, isDynamicAuthError, refusalFor } from '../src/index.js'

const auth = createDynamicAuth({ environmentId: '2762a57b-faa4-41ce-9f16-abff9300e2c9' })

export const server = createServer(async (req, res) => {
  try {
    const session = await auth.authenticate(req) // header, then Dynamic's cookie (CSRF-checked)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ userId: session.userId }))
  } catch (error) {
    if (!isDynamicAuthError(error)) throw error
    const refusal = refusalFor(error)
    res.writeHead(refusal.status, refusal.headers).end(refusal.json)
  }
})
