/**
 * What every contender shares: one RSA key, tokens minted by the local Dynamic stand-in, and its
 * JWKS served over HTTP on 127.0.0.1. Tokens are minted once, before any timing.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { createTestIssuer, type TestIssuer, type TestIssuerServer } from '../../src/testing/index.js'

export interface Fixture {
  readonly issuer: TestIssuer
  readonly server: TestIssuerServer
  /** The `iss` every token carries and every contender pins. */
  readonly iss: string
  /** The JWKS document (one RSA-2048 key). */
  readonly jwks: { keys: Array<Record<string, unknown>> }
  readonly kid: string
  readonly publicKey: KeyObject
  readonly publicPem: string
  /** Distinct valid tokens, more than any contender's cache holds (so a cyclic walk always misses). */
  readonly tokens: readonly string[]
  /** One token for the warm (repeated token) case. */
  readonly warmToken: string
  readonly expired: readonly string[]
  /** Distinct tokens whose signature does not match (one signature character changed). */
  readonly badSignature: readonly string[]
  /** What scanners, truncated cookies and broken clients send. */
  readonly malformed: readonly string[]
  close(): Promise<void>
}

/** The same token with one character of its signature (not the last, whose low bits are fixed) changed. */
function alterSignature(token: string): string {
  const at = token.length - 10
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

/** Pool size: 4× the default verified-token cache of 1000, so cold really means cold. */
export const COLD_POOL = 4096

export async function createFixture(poolSize = COLD_POOL, onProgress?: (done: number) => void): Promise<Fixture> {
  const issuer = createTestIssuer()
  const server = await issuer.listen()
  const jwks = issuer.jwks()
  const jwk = jwks.keys[0] as { kid: string; n: string; e: string }
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' })
  const tokens: string[] = []
  for (let i = 0; i < poolSize; i++) {
    tokens.push(issuer.mint({}))
    if (onProgress && (i & 1023) === 1023) onProgress(i + 1)
  }
  const warmToken = issuer.mint({})
  const iss = (JSON.parse(Buffer.from(warmToken.split('.')[1]!, 'base64url').toString()) as { iss: string }).iss
  return {
    issuer,
    server,
    iss,
    jwks,
    kid: jwk.kid,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    tokens,
    warmToken,
    expired: [issuer.mint({ expired: true })],
    badSignature: tokens.map(alterSignature),
    malformed: [
      'undefined',
      'null',
      tokens[0]!.slice(0, tokens[0]!.lastIndexOf('.')), // the signature cut off
      'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.not-a-payload!.c2lnbmF0dXJl',
      'Bearer.abc.def',
      'a'.repeat(20000), // over the length limit
    ],
    close: () => server.close(),
  }
}
