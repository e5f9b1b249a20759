import { withDynamicAuth } from '../../../lib/dynamic-guard.mjs'
import { auth } from '../../../lib-auth.mjs'

export const dynamic = 'force-dynamic'

export const GET = withDynamicAuth(
  async (request, { auth: session }) => Response.json({ userId: session.userId, method: request.method }),
  auth,
)
export const POST = GET
// A handler for OPTIONS too: a preflight-shaped request must still never reach it.
export const OPTIONS = GET
