/**
 * How the shared code reads a request, whatever its shape: Node's IncomingMessage (Express,
 * Fastify, Koa, node:http) or the Web-standard Request (Hono, Next, Bun, Deno, Workers).
 * Readers are shared singletons, so reading a request allocates nothing of its own.
 */

/** What we read of a Node IncomingMessage (structural, so no Node types are required). */
export interface NodeRequestLike {
  /** The HTTP method. */
  method?: string | undefined
  /** The request target: path and query. */
  url?: string | undefined
  /** The headers, by lower-case name. */
  headers: Record<string, string | string[] | undefined>
  /** Every header line as sent (IncomingMessage has it): reveals fields `headers` dropped as duplicates. */
  rawHeaders?: readonly string[] | undefined
}

/** What we read of a Web-standard Request (structural). */
export interface WebRequestLike {
  /** The HTTP method. */
  readonly method: string
  /** The full URL. */
  readonly url: string
  /** The headers. */
  readonly headers: {
    /** A header's value, or null when absent. */
    get(name: string): string | null
  }
}

/** A request `auth.authenticate` accepts. */
export type HttpRequestLike = NodeRequestLike | WebRequestLike

/** Reads the parts of a request authentication needs. Header names are given in lower case. */
export interface RequestReader<R> {
  header(request: R, name: string): string | undefined
  method(request: R): string
  /** The request target: a path with its query (Node) or an absolute URL (Web). */
  url(request: R): string
  /** The request's own host (`host:port`), from the Host header. */
  host(request: R): string | undefined
}

export const nodeReader: RequestReader<NodeRequestLike> = {
  header(request, name) {
    const value = request.headers[name]
    if (name === 'authorization' && value !== undefined)
      return allFields(request, name) ?? (typeof value === 'string' ? value : value[0])
    return typeof value === 'string' ? value : value?.[0]
  },
  method: (request) => request.method ?? 'GET',
  url: (request) => request.url ?? '/',
  host(request) {
    const host = request.headers.host
    return typeof host === 'string' ? host : undefined
  },
}

/**
 * Node keeps only the first of several Authorization fields in `headers`; a proxy in front may
 * use the last, and a Web Request joins them with ", ". Joining them here too makes every
 * adapter refuse such a request (a Bearer token has no comma) instead of picking one.
 */
function allFields(request: NodeRequestLike, name: string): string | undefined {
  const raw = request.rawHeaders
  if (!raw) return undefined
  let joined: string | undefined
  let count = 0
  for (let i = 0; i < raw.length; i += 2) {
    const field = raw[i]!
    if (field.length === name.length && field.toLowerCase() === name) {
      joined = count++ === 0 ? raw[i + 1] : `${joined}, ${raw[i + 1]}`
    }
  }
  return count > 1 ? joined : undefined
}

export const webReader: RequestReader<WebRequestLike> = {
  header: (request, name) => request.headers.get(name) ?? undefined,
  method: (request) => request.method,
  url: (request) => request.url,
  host(request) {
    const host = request.headers.get('host')
    if (host) return host
    try {
      return new URL(request.url).host
    } catch {
      return undefined
    }
  },
}

/** True for a Web-standard Request (its headers have `get`), false for a Node IncomingMessage. */
export function isWebRequest(request: HttpRequestLike): request is WebRequestLike {
  return typeof (request.headers as { get?: unknown }).get === 'function'
}

/**
 * A request shaped like a CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`
 * (what a browser sends before a cross-origin call). It carries no credentials. Anyone can send
 * one, so the shape says nothing about who sent it: see `src/http/guard.ts` for what the adapters do with it.
 */
export function isPreflight<R>(reader: RequestReader<R>, request: R): boolean {
  return (
    reader.method(request) === 'OPTIONS' &&
    reader.header(request, 'access-control-request-method') !== undefined &&
    reader.header(request, 'origin') !== undefined
  )
}
