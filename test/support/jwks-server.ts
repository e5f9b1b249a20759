/**
 * A programmable JWKS endpoint on 127.0.0.1 for key-store tests: serves an issuer's JWKS by
 * default, counts every request, and can be told to fail, hang or throttle.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestIssuer } from '../../src/testing/index.js'

export type Behaviour = (req: IncomingMessage, res: ServerResponse) => void

export interface JwksServer {
  readonly url: string
  readonly requests: number
  /** Replaces how the server answers; `serve()` restores the normal JWKS. */
  behave(behaviour: Behaviour): void
  serve(): void
  close(): Promise<void>
}

export async function startJwksServer(issuer: TestIssuer): Promise<JwksServer> {
  let requests = 0
  const normal: Behaviour = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks()))
  }
  let behaviour = normal
  const server = createServer((req, res) => {
    requests++
    behaviour(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/api/v0/sdk/${issuer.environmentId}/.well-known/jwks`,
    get requests() {
      return requests
    },
    behave(next) {
      behaviour = next
    },
    serve() {
      behaviour = normal
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Answers with a status and no keys. */
export const failWith =
  (status: number, headers: Record<string, string> = {}): Behaviour =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{"error":"unavailable"}')
  }

/** Never answers (the request hangs until the client gives up). */
export const hang: Behaviour = () => undefined

/** A port on which nothing listens. */
export async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}/api/v0/sdk/x/.well-known/jwks`
}

/** Asserts that `promise` rejects with a DynamicAuthError of `code`; returns the error. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
): Promise<{ code: string; message: string; status: number; retryAfter?: number; missingScopes?: readonly string[] }> {
  try {
    await promise
  } catch (error) {
    const e = error as { name?: string; code?: string; message: string; status: number }
    if (e.name !== 'DynamicAuthError' || e.code !== code) {
      throw new Error(`expected DynamicAuthError ${code}, got ${e.name} ${e.code}: ${e.message}`)
    }
    return e as { code: string; message: string; status: number }
  }
  throw new Error(`expected DynamicAuthError ${code}, but the promise resolved`)
}
