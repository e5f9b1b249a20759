/**
 * Forwards Dynamic's API paths to the stand-in, the way a custom hostname serves Dynamic's API on
 * your own domain (which Dynamic's cookie-based auth needs): the cookie the stand-in sets then
 * belongs to the demo's origin, and the page calls one origin only.
 */
import { request } from 'node:http'
import type { RequestHandler } from 'express'

export function proxyTo(origin: string): RequestHandler {
  const target = new URL(origin)
  return (req, res) => {
    const upstream = request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.originalUrl, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => {
      if (res.headersSent) res.destroy()
      else res.status(502).json({ error: 'stand_in_unavailable', message: 'The local Dynamic stand-in did not answer.' })
    })
    req.pipe(upstream)
  }
}
