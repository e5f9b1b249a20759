/**
 * Forwards Dynamic's API paths to the local Dynamic, the way a custom hostname serves Dynamic's API
 * on your own domain. The page's failing cases mint their tokens through it (the local Dynamic's
 * token endpoint, on the page's own origin). Dynamic's client on the page talks to the local
 * Dynamic's own origin instead, with CORS, as a page talks to Dynamic.
 */
import { request } from 'node:http'
import type { RequestHandler } from 'express'

export function proxyTo(origin: string): RequestHandler {
  const target = new URL(origin)
  return (req, res) => {
    const upstream = request(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.originalUrl,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => {
      if (res.headersSent) res.destroy()
      else
        res.status(502).json({ error: 'emulator_unavailable', message: 'The local Dynamic emulator did not answer.' })
    })
    req.pipe(upstream)
  }
}
