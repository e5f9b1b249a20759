/**
 * What every contender shares: one RSA key, tokens minted by the local Dynamic emulator, and its
 * JWKS served over HTTP on 127.0.0.1. Tokens are minted once, before any timing.
 */
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto'
import { createTestIssuer, type TestIssuer, type TestIssuerServer } from '../../src/testing/index.js'

export interface Fixture {
  readonly issuer: TestIssuer
  readonly server: TestIssuerServer
  /** The `iss` every token carries and every contender pins. */
  readonly iss: string
  /** The key size in bits: 4096 (Dynamic's) for the headline, 2048 for the second table. */
  readonly bits: number
  /** The JWKS document (one RSA key of `bits` bits). */
  readonly jwks: { keys: Array<Record<string, unknown>> }
  readonly kid: string
  readonly publicKey: KeyObject
  readonly publicPem: string
  /**
   * Distinct valid tokens, more than any contender's cache holds (so a cyclic walk always misses),
   * each of a distinct user and session (distinct `sub` and `sid`).
   */
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

/**
 * Pool size: 2× the default verified-token cache of 1000 and of fast-jwt's, so a cyclic walk always
 * misses (minting one RSA-4096 token takes ~10 ms, so 2,048 of them take ~20 s). BENCH_COLD_POOL
 * changes it, for a quick look only (the burst case needs 2,000).
 */
export const COLD_POOL = Number(process.env.BENCH_COLD_POOL ?? 2048)

/** The headline key size: Dynamic signs with RSA-4096. */
export const HEADLINE_BITS = 4096

export async function createFixture(
  poolSize = COLD_POOL,
  onProgress?: (done: number) => void,
  bits = HEADLINE_BITS,
): Promise<Fixture> {
  // The size is passed explicitly: these figures must not depend on the test kit's default.
  const issuer = createTestIssuer({ modulusLength: bits })
  const server = await issuer.listen()
  const jwks = issuer.jwks()
  const jwk = jwks.keys[0] as { kid: string; n: string; e: string }
  const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' })
  const tokens: string[] = []
  for (let i = 0; i < poolSize; i++) {
    tokens.push(issuer.mint({ sub: randomUUID(), sid: randomUUID() }))
    if (onProgress && (i & 511) === 511) onProgress(i + 1)
  }
  const warmToken = issuer.mint({})
  const iss = (JSON.parse(Buffer.from(warmToken.split('.')[1]!, 'base64url').toString()) as { iss: string }).iss
  return {
    issuer,
    server,
    iss,
    bits,
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
