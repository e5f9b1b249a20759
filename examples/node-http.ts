/** Plain node:http. In your app: `import { createDynamicAuth } from 'dynamic-guard'` and `import { protectNodeHandler } from 'dynamic-guard/http'`. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createDynamicAuth } from '../src/index.js'
import { protectNodeHandler } from '../src/http/index.js'

const auth = createDynamicAuth({ environmentId: '2762a57b-faa4-41ce-9f16-abff9300e2c9' })

// Header, then Dynamic's cookie (CSRF-checked). Refusals are answered per RFC 6750 and CORS
// preflights with an empty 204; the handler runs only with a verified session. By hand instead:
// `await authenticate(auth, req)` and, on a DynamicAuthError, `refusalFor(error)`.
export const server = createServer(
  protectNodeHandler((_req: IncomingMessage, res: ServerResponse, session) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ userId: session.userId }))
  }, auth),
)
