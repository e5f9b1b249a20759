/**
 * Who may talk to the emulator. It mints tokens that an app pointed at it trusts, so by default
 * it serves only this machine: browsers may call it from loopback origins (any port), every other
 * origin is refused (403 `origin_not_allowed`) unless listed, and a request whose `Host` is not a
 * loopback name is refused too (a DNS-rebinding page would otherwise be same-origin with it).
 * Allowed origins get their `Origin` echoed with credentials, so cookie-mode sign-in works.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { EmulatorError } from './http.js'
import { normalizeOrigin } from '../../http/options.js'
import { isLoopbackHostname } from '../../options.js'

export { isLoopbackHostname }

/** True for an `http:`/`https:` origin on a loopback host, any port. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin)
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHostname(url.hostname)
  } catch {
    return false
  }
}

/** The hostname of a `Host` header (`127.0.0.1:4747`, `[::1]:80`, `localhost`). */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1)
  const colon = host.lastIndexOf(':')
  return colon >= 0 ? host.slice(0, colon) : host
}

/** Request headers Dynamic's client sends that a preflight must allow. */
const ALLOWED_HEADER = /^(content-type|authorization|accept|x-dyn-[a-z0-9-]+|x-dynamic-[a-z0-9-]+|x-mfa-auth-token)$/
const ALLOWED_METHODS = 'GET, POST, PUT, DELETE, OPTIONS'

/** Options of {@link createOriginPolicy}. */
export interface OriginPolicyOptions {
  /** Origins allowed besides loopback ones (exact `scheme://host[:port]`). */
  corsOrigins?: readonly string[]
  /** Skip the `Host` check (the server listens beyond loopback, on purpose). */
  anyHost?: boolean
}

/** The emulator's CORS and origin rules. */
export interface OriginPolicy {
  /** Throws a 403 {@link EmulatorError} when the request comes from a refused origin or host. */
  check(req: IncomingMessage): void
  /** CORS headers for an answer to `req` (empty when it carries no allowed Origin). */
  headers(req: IncomingMessage): Record<string, string>
  /** Answers a preflight. */
  preflight(req: IncomingMessage, res: ServerResponse): void
}

/** Builds the origin policy. */
export function createOriginPolicy(options: OriginPolicyOptions = {}): OriginPolicy {
  const extra = new Set((options.corsOrigins ?? []).map((origin) => normalizeOrigin(origin) ?? origin))
  const allowed = (origin: string): boolean => isLoopbackOrigin(origin) || extra.has(origin)

  const policy: OriginPolicy = {
    check(req) {
      const host = req.headers.host
      if (!options.anyHost && host && !isLoopbackHostname(hostnameOf(host))) {
        throw new EmulatorError(
          403,
          'host_not_allowed',
          `This local Dynamic answers loopback hosts only; the request named ${JSON.stringify(host.slice(0, 100))}.`,
        )
      }
      const origin = req.headers.origin
      if (origin && origin !== 'null' && !allowed(origin)) {
        throw new EmulatorError(
          403,
          'origin_not_allowed',
          `The origin ${JSON.stringify(origin.slice(0, 200))} may not call this local Dynamic. Loopback origins may; add others with corsOrigins / --cors-origin.`,
        )
      }
      if (origin === 'null')
        throw new EmulatorError(403, 'origin_not_allowed', 'An opaque origin ("null") may not call this local Dynamic.')
    },
    headers(req): Record<string, string> {
      const origin = req.headers.origin
      if (!origin || !allowed(origin)) return {}
      return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'origin' }
    },
    preflight(req, res) {
      const cors = policy.headers(req)
      const requested = String(req.headers['access-control-request-headers'] ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean)
      const headers = ['content-type', 'authorization', ...requested.filter((name) => ALLOWED_HEADER.test(name))]
      res.writeHead(204, {
        ...cors,
        ...(cors['access-control-allow-origin']
          ? {
              'access-control-allow-methods': ALLOWED_METHODS,
              'access-control-allow-headers': [...new Set(headers)].join(', '),
              'access-control-max-age': '600',
            }
          : {}),
        vary: 'origin, access-control-request-headers',
      })
      res.end()
    },
  }
  return policy
}
