/**
 * node:crypto backend. A prepared KeyObject and the one-shot synchronous `crypto.verify` are the
 * fastest RS256 path on Node for one verification at a time. When many verifications arrive in
 * the same tick (a burst), part of them go to WebCrypto, whose verify runs on libuv's thread
 * pool, so a server with new tokens in flight uses more than one core.
 */
import { createPublicKey, verify, webcrypto, type KeyObject } from 'node:crypto'
import type { PreparedKey, RsaPublicJwk, SignatureBackend } from './backend.js'

interface NodeKey {
  readonly keyObject: KeyObject
  readonly cryptoKey: CryptoKey | undefined
}

const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const

/** How many verifications may wait on the thread pool at once; the rest run on this thread. */
const MAX_POOL_IN_FLIGHT = 8

let callsThisTick = 0
let poolInFlight = 0
let resetQueued = false
const resetTick = (): void => {
  callsThisTick = 0
  resetQueued = false
}

function inBurst(): boolean {
  callsThisTick++
  if (!resetQueued) {
    resetQueued = true
    queueMicrotask(resetTick)
  }
  // The first call of a tick always runs here; later ones in the same tick alternate between
  // this thread and the pool, keeping both cores busy without starving either.
  return callsThisTick > 1 && (callsThisTick & 1) === 0 && poolInFlight < MAX_POOL_IN_FLIGHT
}

async function verifyOnPool(key: CryptoKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  poolInFlight++
  try {
    return await webcrypto.subtle.verify(RS256, key, signature, data)
  } finally {
    poolInFlight--
  }
}

/** The node:crypto {@link SignatureBackend}. */
export const nodeBackend: SignatureBackend = {
  name: 'node:crypto',

  async importRsaPublicKey(jwk: RsaPublicJwk): Promise<PreparedKey> {
    const keyObject = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' })
    let cryptoKey: CryptoKey | undefined
    try {
      cryptoKey = await webcrypto.subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e }, RS256, false, ['verify'])
    } catch {
      cryptoKey = undefined // the synchronous path alone still works
    }
    const key: NodeKey = { keyObject, cryptoKey }
    return key
  },

  pemToJwk(pem: string): RsaPublicJwk {
    const keyObject = createPublicKey(pem)
    if (keyObject.asymmetricKeyType !== 'rsa') {
      throw new TypeError(`publicKey must be an RSA public key, not ${keyObject.asymmetricKeyType ?? 'a symmetric key'}.`)
    }
    const jwk = keyObject.export({ format: 'jwk' })
    return { kty: 'RSA', n: String(jwk.n), e: String(jwk.e) }
  },

  verifyRs256(prepared: PreparedKey, signingInput: string, signature: Uint8Array): boolean | Promise<boolean> {
    const key = prepared as NodeKey
    const data = Buffer.from(signingInput, 'latin1')
    if (key.cryptoKey && inBurst()) return verifyOnPool(key.cryptoKey, data, signature)
    return verify('sha256', data, key.keyObject, signature)
  },
}
