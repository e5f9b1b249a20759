/** app/api/me/route.ts. In your app: `import { withDynamicAuth } from 'dynamic-guard/next'`. */
import { requireScopes, withDynamicAuth } from '../../../../../src/adapters/next.js'
import { auth } from '../../../lib/auth.js'

export const GET = withDynamicAuth(
  async (_request, { auth: session }) => Response.json({ userId: session.userId, chains: session.chains }),
  auth,
)

export const POST = requireScopes('wallet:sign')(
  async (request, { auth: session }) =>
    Response.json({ from: session.userId, body: (await request.json()) as unknown }, { status: 201 }),
  auth,
)
