/**
 * node:crypto backend. A prepared KeyObject and the one-shot synchronous `crypto.verify` are the
 * fastest RS256 path on Node for one verification at a time. When verifications overlap (many
 * new tokens in flight), they run on libuv's thread pool (`crypto.verify` with a callback), so a
 * server busy with new tokens uses every core (see pool-scheduler.ts).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { availableParallelism } from 'node:os'
import type { PreparedKey, RsaPublicJwk, SignatureBackend } from './backend.js'
import { poolScheduler } from './pool-scheduler.js'

interface NodeKey {
  readonly keyObject: KeyObject
}

/** The signing input of a synchronous verification is written here: no allocation per token. */
const scratch = Buffer.allocUnsafeSlow(16384)

function verifyOnPool(key: KeyObject, signingInput: string, signature: Uint8Array): Promise<boolean> {
  const data = Buffer.from(signingInput, 'latin1')
  return new Promise((resolve) => {
    verify('sha256', data, key, signature, (error, valid) => resolve(!error && valid))
  })
}

function verifyHere(key: KeyObject, signingInput: string, signature: Uint8Array): boolean {
  // The signing input is base64url and dots (checked by the parser), so latin1 is exact.
  const length = signingInput.length
  const data =
    length <= scratch.length
      ? scratch.subarray(0, scratch.write(signingInput, 0, length, 'latin1'))
      : Buffer.from(signingInput, 'latin1')
  return verify('sha256', data, key, signature)
}

/** One core (or a process pinned to one): the pool would only add hand-off costs. */
const scheduler = availableParallelism() > 1 ? poolScheduler(verifyHere, verifyOnPool) : undefined

/** The node:crypto {@link SignatureBackend}. */
export const nodeBackend: SignatureBackend = {
  name: 'node:crypto',

  importRsaPublicKey(jwk: RsaPublicJwk): PreparedKey {
    const key: NodeKey = { keyObject: createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }) }
    return key
  },

  verifyRs256(prepared: PreparedKey, signingInput: string, signature: Uint8Array): boolean | Promise<boolean> {
    const { keyObject } = prepared as NodeKey
    return scheduler
      ? scheduler.verify(keyObject, signingInput, signature)
      : verifyHere(keyObject, signingInput, signature)
  },
}
