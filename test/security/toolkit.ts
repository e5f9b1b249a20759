/**
 * Shared tools of the security tests: crafting tokens byte by byte, keys we control, a recording
 * HTTP server, and one assertion for "refused with this code".
 */
import assert from 'node:assert/strict'
import { constants, createHmac, sign, type KeyObject } from 'node:crypto'
import { generateKeyPair } from '../support/key-pair.js'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { isDynamicAuthError } from './subject.js'

/** A fixed "now" (seconds) for deterministic claim tests: 2026-11-01T00:00:00Z. */
export const NOW = 1_793_491_200
export const fixedClock = (): number => NOW * 1000

export function b64u(input: string | Uint8Array): string {
  return Buffer.from(typeof input === 'string' ? Buffer.from(input, 'utf8') : input).toString('base64url')
}

/** A compact token from raw JSON text (so duplicate members and escapes survive) and a signature. */
export function rawToken(headerJson: string, payloadJson: string, signature: Uint8Array | string = ''): string {
  return `${b64u(headerJson)}.${b64u(payloadJson)}.${typeof signature === 'string' ? signature : b64u(signature)}`
}

/**
 * An RSA key pair we control: 4096 bits (the size Dynamic signs with) unless told otherwise.
 * Generated afresh on every call, so that a real key and an attacker's are never the same.
 */
export interface RsaPair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The public JWK (kty, n, e), without kid/alg/use. */
  readonly jwk: { kty: 'RSA'; n: string; e: string }
}

export function rsaPair(modulusLength = 4096): RsaPair {
  const { privateKey, publicKey } = generateKeyPair('rsa', { modulusLength, publicExponent: 65537 })
  const exported = publicKey.export({ format: 'jwk' })
  return { privateKey, publicKey, jwk: { kty: 'RSA', n: String(exported.n), e: String(exported.e) } }
}

type Alg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512'

/** Signs `signingInput` the way JWS `alg` prescribes, with our own private key. */
export function signAs(alg: Alg, privateKey: KeyObject, signingInput: string): Buffer {
  const hash = `sha${alg.slice(2)}`
  const data = Buffer.from(signingInput, 'latin1')
  if (alg.startsWith('PS')) {
    return sign(hash, data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(alg.slice(2)) / 8,
    })
  }
  return sign(hash, data, privateKey)
}

/** A token whose header and payload are JSON-serialised objects, signed with `alg` by `privateKey`. */
export function signToken(alg: Alg, privateKey: KeyObject, header: Record<string, unknown>, payload: unknown): string {
  return signRaw(alg, privateKey, JSON.stringify(header), JSON.stringify(payload))
}

/** Like {@link signToken}, from raw JSON text. */
export function signRaw(alg: Alg, privateKey: KeyObject, headerJson: string, payloadJson: string): string {
  const input = `${b64u(headerJson)}.${b64u(payloadJson)}`
  return `${input}.${b64u(signAs(alg, privateKey, input))}`
}

/** HMAC-signs a header and payload with `secret` (the key-confusion attack). */
export function hmacToken(
  alg: 'HS256' | 'HS384' | 'HS512',
  secret: string | Uint8Array,
  header: Record<string, unknown>,
  payload: unknown,
): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`
  return `${input}.${b64u(
    createHmac(`sha${alg.slice(2)}`, secret)
      .update(input)
      .digest(),
  )}`
}

/** Valid Dynamic-shaped claims at {@link NOW}, for the given environment. */
export function claimsFor(environmentId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iss: `app.dynamicauth.com/${environmentId}`,
    sub: '8f2b1a6e-3c4d-4e5f-9a0b-1c2d3e4f5a6b',
    aud: 'http://localhost:3000',
    environment_id: environmentId,
    scope: 'user:basic',
    sid: 'b7f0e0a4-0000-4000-8000-000000000001',
    iat: NOW - 60,
    exp: NOW + 3600,
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete claims[name]
    else claims[name] = value
  }
  return claims
}

/**
 * Asserts that `promise` rejects with a DynamicAuthError whose code is `code` (or one of them).
 * Anything else (a resolved session, a TypeError, a crash) fails the test.
 */
export async function refused(
  promise: Promise<unknown>,
  code: string | readonly string[],
  label = '',
): Promise<{ code: string; message: string; status: number; retryAfter?: number }> {
  const codes = typeof code === 'string' ? [code] : code
  let outcome: unknown
  try {
    outcome = await promise
  } catch (error) {
    assert.ok(isDynamicAuthError(error), `${label}: expected a DynamicAuthError, got ${String(error)}`)
    const e = error as { code: string; message: string; status: number; retryAfter?: number }
    assert.ok(codes.includes(e.code), `${label}: expected ${codes.join('|')}, got ${e.code}: ${e.message}`)
    return e
  }
  assert.fail(`${label}: expected refusal ${codes.join('|')}, but it was accepted (${typeof outcome})`)
}

/** One request a {@link RecordingServer} received. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingMessage['headers']
}

/** A programmable HTTP server on 127.0.0.1 that records every request. */
export interface RecordingServer {
  readonly origin: string
  readonly requests: RecordedRequest[]
  /** Requests whose path is `path`. */
  count(path?: string): number
  handle(handler: (req: IncomingMessage, res: ServerResponse) => void): void
  close(): Promise<void>
}

export async function recordingServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void = notFound,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  let current = handler
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0]!, headers: req.headers })
    current(req, res)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    count: (path) => (path === undefined ? requests.length : requests.filter((r) => r.path === path).length),
    handle(next) {
      current = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

export function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
}

/** Answers with a JWKS document. */
export function serveJson(body: unknown): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(typeof body === 'string' ? body : JSON.stringify(body))
  }
}

/** A public JWK with kid, as a JWKS would list it. */
export function publishedJwk(pair: RsaPair, kid: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...pair.jwk, kid, alg: 'RS256', use: 'sig', ...extra }
}

/** Signs the exact text `headerPart.payloadPart` (already encoded, possibly non-canonically) with RS256. */
export function signParts(privateKey: KeyObject, headerPart: string, payloadPart: string): string {
  const input = `${headerPart}.${payloadPart}`
  return `${input}.${b64u(signAs('RS256', privateKey, input))}`
}

/** Signs raw header and payload bytes (for invalid UTF-8) with RS256. */
export function signBytes(privateKey: KeyObject, header: Uint8Array | string, payload: Uint8Array | string): string {
  return signParts(privateKey, b64u(header), b64u(payload))
}
