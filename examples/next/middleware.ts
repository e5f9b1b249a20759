/** middleware.ts (proxy.ts in Next 16): refuse unauthenticated API calls before any route runs. */
import { NextResponse, type NextRequest } from 'next/server.js'
import { dynamicAuthMiddleware } from '../../src/adapters/next.js'
import { auth } from './lib/auth.js'

export const middleware = dynamicAuthMiddleware(auth, {}, (request: NextRequest, session) => {
  // Forward the user id to the route (the incoming header is replaced, so a client cannot forge it).
  const headers = new Headers(request.headers)
  headers.set('x-dynamic-user-id', session!.userId)
  return NextResponse.next({ request: { headers } })
})

export const config = { matcher: '/api/:path*' }
