/**
 * Any Web-standard runtime: Cloudflare Workers, Bun, Deno. In your app:
 * `import { withDynamicAuth } from 'dynamic-guard/fetch'`, `import { createDynamicAuth } from 'dynamic-guard'`
 * and `import { webCryptoBackend } from 'dynamic-guard/extend'`.
 */
import { createDynamicAuth } from '../src/index.js'
import { webCryptoBackend } from '../src/extend.js'
import { authenticate, refusalFor } from '../src/http/index.js'
import { withDynamicAuth } from '../src/adapters/fetch.js'

interface Env {
  DYNAMIC_ENVIRONMENT_ID: string
}

type Context = { waitUntil(promise: Promise<unknown>): void }
let protectedFetch: ((request: Request, env: Env, context: Context) => Promise<Response>) | undefined

export default {
  // Workers hand the environment to fetch, so the verifier is created at the first request and kept.
  fetch(request: Request, env: Env, context: Context): Promise<Response> {
    protectedFetch ??= withDynamicAuth(
      async (_request, session, _env: Env, _context: Context) => Response.json({ userId: session.userId }),
      createDynamicAuth({
        environmentId: env.DYNAMIC_ENVIRONMENT_ID,
        advanced: { signatureBackend: webCryptoBackend },
      }),
    )
    return protectedFetch(request, env, context)
  },
}

const auth = createDynamicAuth({ environmentId: '2762a57b-faa4-41ce-9f16-abff9300e2c9' })

// By hand, e.g. in Bun.serve or Deno.serve:
export async function handle(request: Request): Promise<Response> {
  try {
    const session = await authenticate(auth, request)
    return Response.json({ userId: session.userId })
  } catch (error) {
    const refusal = refusalFor(error) // the RFC 6750 answer; rethrows anything that is not a refusal
    return new Response(refusal.json, refusal)
  }
}
