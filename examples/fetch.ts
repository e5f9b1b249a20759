/**
 * Any Web-standard runtime: Cloudflare Workers, Bun, Deno. In your app:
 * `import { dynamicAuth } from 'dynamic-guard/fetch'` and `import { createDynamicAuth, webCryptoBackend } from 'dynamic-guard'`.
 */
import { createDynamicAuth, webCryptoBackend } from '../src/index.js'
import { dynamicAuth } from '../src/adapters/fetch.js'

interface Env {
  DYNAMIC_ENVIRONMENT_ID: string
}

type Context = { waitUntil(promise: Promise<unknown>): void }
let protectedFetch: ((request: Request, env: Env, context: Context) => Promise<Response>) | undefined

export default {
  // Workers hand the environment to fetch, so the verifier is created at the first request and kept.
  fetch(request: Request, env: Env, context: Context): Promise<Response> {
    protectedFetch ??= dynamicAuth(createDynamicAuth({ environmentId: env.DYNAMIC_ENVIRONMENT_ID, signatureBackend: webCryptoBackend })).protect(
      async (_request, session, _env: Env, _context: Context) => Response.json({ userId: session.userId }),
    )
    return protectedFetch(request, env, context)
  },
}

let guard: ReturnType<typeof dynamicAuth> | undefined

// By hand, e.g. in Bun.serve or Deno.serve:
export async function handle(request: Request): Promise<Response> {
  guard ??= dynamicAuth(createDynamicAuth({ environmentId: '2762a57b-faa4-41ce-9f16-abff9300e2c9' }))
  try {
    const session = await guard.authenticate(request)
    return Response.json({ userId: session.userId })
  } catch (error) {
    return guard.refuse(error) // the RFC 6750 answer; rethrows anything that is not a refusal
  }
}
