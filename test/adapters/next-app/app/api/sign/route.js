import { requireScopes } from '../../../lib/dynamic-guard.mjs'
import { auth } from '../../../lib-auth.mjs'

export const dynamic = 'force-dynamic'

export const GET = requireScopes('wallet:sign')(
  async (_request, { auth: session }) => Response.json({ userId: session.userId }),
  auth,
)
