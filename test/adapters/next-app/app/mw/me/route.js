// Reached only through the proxy (Next's middleware), which refused or let the request on.
export const dynamic = 'force-dynamic'

export function GET(request) {
  return Response.json({ reached: 'route', userId: request.headers.get('x-dynamic-user-id') })
}

// Would answer anyone: the proxy must keep preflight-shaped requests from reaching it.
export function OPTIONS(request) {
  return Response.json({ reached: 'route', secret: 'protected-data', userId: request.headers.get('x-dynamic-user-id') })
}
