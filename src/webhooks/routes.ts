/**
 * Ready-made webhook routes. Each one gets the raw body (the signature covers the exact bytes) and
 * hands it to {@link WebhookProcessor}. Only where a framework has already parsed the body and the
 * bytes are gone (Express after `express.json()`, say) is the signature checked over the
 * re-serialised body, as Dynamic's own sample does, and `onEvent` is told so.
 * Frameworks appear here only as shapes: importing this module loads none of them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readCappedBody } from '../util/read-capped-body.js'
import { SIGNATURE_HEADER } from './signature.js'
import { methodNotAllowed, tooLarge, type WebhookProcessor, type WebhookResult } from './handler.js'

function json(result: WebhookResult): Response {
  return new Response(JSON.stringify(result.body), {
    status: result.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  })
}

/** The Fetch API route: `(request) => Response` (Next.js route handlers, Bun, Deno, Workers, Hono). */
export async function handleFetch(processor: WebhookProcessor, request: Request): Promise<Response> {
  if (request.method !== 'POST') return json(processor.answered(methodNotAllowed()))
  const body = await readCappedBody(request, processor.maxBodyBytes)
  if (!body) return json(processor.answered(tooLarge(processor.maxBodyBytes)))
  return json(await processor.handle(body, request.headers.get(SIGNATURE_HEADER)))
}

/** A Node request as Express (4 or 5), Koa's `ctx.req` or plain `node:http` give it. */
export type NodeWebhookRequest = IncomingMessage & {
  /** The body a framework already parsed, if one did. */
  body?: unknown
  /** The raw body a framework kept, if one did (a Buffer or a string). */
  rawBody?: unknown
}

function send(res: ServerResponse, result: WebhookResult): void {
  const body = JSON.stringify(result.body)
  res.statusCode = result.status
  res.setHeader('content-type', 'application/json')
  res.setHeader('cache-control', 'no-store')
  res.end(body)
}

function readNodeBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'])
  if (declared > max) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    const onData = (chunk: Buffer) => {
      total += chunk.length
      if (total > max) {
        req.off('data', onData)
        req.resume()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks, total)))
    req.once('error', reject)
  })
}

/**
 * The Express / `node:http` route. Works whether or not `express.raw()` ran before it. Mount it
 * before `express.json()` (or keep `req.rawBody`) so that the exact bytes are checked; after a
 * JSON parser, the signature is checked over `JSON.stringify(req.body)` (Dynamic's own sample
 * does the same) and `onEvent` gets `signedOver: 'reserialized_body'`.
 */
export async function handleNode(
  processor: WebhookProcessor,
  req: NodeWebhookRequest,
  res: ServerResponse,
  next?: (error?: unknown) => void,
): Promise<void> {
  try {
    if (req.method !== 'POST') return send(res, processor.answered(methodNotAllowed()))
    let body: string | Uint8Array | undefined
    if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === 'string') body = req.rawBody
    else if (Buffer.isBuffer(req.body) || typeof req.body === 'string') body = req.body
    else if (
      req.body !== undefined &&
      req.body !== null &&
      (typeof req.body !== 'object' || Object.keys(req.body).length > 0)
    ) {
      // Parsed before this route saw it, the bytes gone: check the re-serialised body.
      const header = req.headers[SIGNATURE_HEADER]
      return send(res, await processor.handleParsed(req.body, Array.isArray(header) ? undefined : header))
    } else if (req.readableEnded) {
      body = Buffer.alloc(0)
    } else {
      body = await readNodeBody(req, processor.maxBodyBytes)
      if (!body) {
        res.setHeader('connection', 'close')
        return send(res, processor.answered(tooLarge(processor.maxBodyBytes)))
      }
    }
    const header = req.headers[SIGNATURE_HEADER]
    send(res, await processor.handle(body, Array.isArray(header) ? undefined : header))
  } catch (error) {
    if (next) next(error)
    else if (!res.headersSent)
      send(res, { status: 500, body: { error: 'internal_error', message: 'The webhook could not be read.' } })
  }
}

/** The part of a Fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  /** Registers a body parser (`instance.addContentTypeParser`). */
  addContentTypeParser(
    contentType: string | string[] | RegExp,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (request: unknown, body: Buffer, done: (error: Error | null, body?: unknown) => void) => void,
  ): void
  /** Drops the inherited body parsers, in the plugin's own context. */
  removeAllContentTypeParsers?(): void
  /** Registers a POST route. */
  post(
    path: string,
    handler: (
      request: { body: unknown; headers: Record<string, string | string[] | undefined> },
      reply: FastifyReplyLike,
    ) => unknown,
  ): unknown
}

/** The part of a Fastify reply the plugin uses. */
export interface FastifyReplyLike {
  /** Sets the status. */
  code(status: number): FastifyReplyLike
  /** Sets one header. */
  header(name: string, value: string): FastifyReplyLike
  /** Sends the body. */
  send(payload: unknown): unknown
}

/** Options of the Fastify plugin. */
export interface FastifyWebhookOptions {
  /** Route path. Default `/webhooks/dynamic`. */
  path?: string
}

/**
 * The Fastify plugin: registers `POST <path>` in its own encapsulated context, with a raw-body
 * parser for every content type, so the rest of the app keeps its JSON parser.
 */
export function fastifyPlugin(processor: WebhookProcessor) {
  return async function dynamicWebhooks(
    instance: FastifyInstanceLike,
    options: FastifyWebhookOptions = {},
  ): Promise<void> {
    instance.removeAllContentTypeParsers?.()
    instance.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: processor.maxBodyBytes },
      (_request, body, done) => done(null, body),
    )
    instance.post(options.path ?? '/webhooks/dynamic', async (request, reply) => {
      const header = request.headers[SIGNATURE_HEADER]
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const result = await processor.handle(body, Array.isArray(header) ? undefined : header)
      return reply.code(result.status).header('cache-control', 'no-store').send(result.body)
    })
  }
}

/** The part of a Hono context the handler uses. */
export interface HonoContextLike {
  /** The request: its `raw` Web Request is read. */
  req: {
    /** The Web Request. */
    raw: Request
  }
}
