import { NextResponse } from 'next/server'
import { dynamicAuthMiddleware } from './lib/dynamic-guard.mjs'
import { auth } from './lib-auth.mjs'

export const proxy = dynamicAuthMiddleware(auth, {}, (request, session) => {
  const headers = new Headers(request.headers)
  headers.set('x-dynamic-user-id', session.userId)
  return NextResponse.next({ request: { headers } })
})

export const config = { matcher: '/mw/:path*' }
