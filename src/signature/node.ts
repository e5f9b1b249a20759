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
const scratch = Buffer.allocUnsafeSlow(16384) as Buffer & {
  latin1Write?(text: string, offset: number, length: number): number
}
/**
 * Writes the signing input into the scratch buffer: with the encoder Buffer#write itself
 * dispatches to (on every Node buffer), skipping write's argument handling and encoding lookup,
 * small functions a new process would otherwise interpret and compile for every token.
 */
const writeScratch: (text: string, length: number) => number =
  typeof scratch.latin1Write === 'function'
    ? (text, length) => scratch.latin1Write!(text, 0, length)
    : (text, length) => scratch.write(text, 0, length, 'latin1')
/** The signing input is base64url and dots (checked by the parser): its UTF-8 bytes are its latin1 bytes. */
const encoder = new TextEncoder()

function verifyOnPool(key: KeyObject, signingInput: string, signature: Uint8Array): Promise<boolean> {
  // Bytes of its own: the pool reads them after this call returns. One native call.
  const data = encoder.encode(signingInput)
  return new Promise((resolve) => {
    verify('sha256', data, key, signature, (error, valid) => resolve(!error && valid))
  })
}

function verifyHere(key: KeyObject, signingInput: string, signature: Uint8Array): boolean {
  const length = signingInput.length
  const data =
    length <= scratch.length ? scratch.subarray(0, writeScratch(signingInput, length)) : encoder.encode(signingInput)
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
