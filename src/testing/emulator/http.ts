/**
 * The emulator's HTTP plumbing: bounded JSON bodies, JSON answers, and errors in the shape
 * Dynamic's SDK API answers them (`{ "error": "<message>", "code": "<code>" }` with a 4xx), which
 * Dynamic's client turns into its own `APIError` with that `code` and status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A refusal the emulator answers as Dynamic does: `{ error, code }` with `status`. */
export class EmulatorError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The largest body the emulator reads. */
export const MAX_BODY_BYTES = 65536

/** Reads a JSON object body (an empty body is `{}`); 413 past {@link MAX_BODY_BYTES}, 400 when it is not a JSON object. */
export function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        done = true
        req.resume()
        reject(new EmulatorError(413, 'payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`))
        return
      }
      chunks.push(chunk)
    })
    req.on('error', (error) => {
      if (!done) reject(error)
      done = true
    })
    req.on('end', () => {
      if (done) return
      done = true
      const text = Buffer.concat(chunks).toString('utf8').trim()
      if (text === '') return resolve({})
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        return reject(new EmulatorError(400, 'invalid_request', 'The body is not JSON.'))
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return reject(new EmulatorError(400, 'invalid_request', 'The body must be a JSON object.'))
      resolve(parsed as Record<string, unknown>)
    })
  })
}

/** Answers JSON, never cached. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

/** Answers an empty 204. */
export function sendNoContent(res: ServerResponse, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(204, { 'cache-control': 'no-store', ...headers })
  res.end()
}

/** Answers an {@link EmulatorError} in Dynamic's error shape. */
export function sendError(
  res: ServerResponse,
  error: EmulatorError,
  headers: Record<string, string | string[]> = {},
): void {
  sendJson(
    res,
    error.status,
    { error: error.message, code: error.code },
    error.status === 413 ? { ...headers, connection: 'close' } : headers,
  )
}

/** A string member of a body, or a 400 naming it. */
export function textMember(body: Record<string, unknown>, name: string, max = 320): string {
  const value = body[name]
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new EmulatorError(400, 'invalid_request', `"${name}" must be a string of 1 to ${max} characters.`)
  return value
}
