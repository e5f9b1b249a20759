/**
 * RSA key pairs for test issuers. Dynamic signs with RSA-4096, and generating a 4096-bit key takes
 * a second or more, so a process keeps a small pool per key size and hands its keys out again:
 *
 * - the first {@link KEY_POOL_SIZE} keys drawn in a process are all distinct (then the pool is full);
 * - after that, keys are handed out round-robin, skipping every key the drawing issuer already
 *   holds, so an issuer's keys (its first and every rotation's) are always distinct from each other;
 *   when an issuer has held every pooled key, a new one is generated and pooled;
 * - a kid is never shared: each draw gets a fresh kid, so two issuers that happen to share key
 *   material still publish different kids, and a verifier selecting by kid never confuses them;
 * - `fresh` keys are generated for the caller alone and never pooled: for a test that plays another
 *   signer presenting someone else's kid, where shared material would let the forgery verify.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'

/** How many distinct keys per size a process generates before it starts handing them out again. */
export const KEY_POOL_SIZE = 3

/** A generated RSA key pair and its public modulus and exponent (base64url, as in a JWK). */
export interface PooledKeyPair {
  readonly privateKey: KeyObject
  readonly n: string
  readonly e: string
}

const pools = new Map<number, PooledKeyPair[]>()
const cursors = new Map<number, number>()

/**
 * A new key pair. Node hands it over encoded (DER) and it is parsed into key objects of its own,
 * because key objects straight from generateKeyPairSync share a lock with the generation job: the
 * job's clean-up, when a garbage collection finds it, takes that lock, and `export()` holds it
 * while it allocates. A collection inside `publicKey.export()` then blocks the main thread for
 * good (`dynamic-guard dev` hung before its ready line). Parsed keys share nothing with the job.
 */
function generate(modulusLength: number): PooledKeyPair {
  const pair = generateKeyPairSync('rsa', {
    modulusLength,
    publicExponent: 65537,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  })
  const jwk = createPublicKey({ key: pair.publicKey, format: 'der', type: 'spki' }).export({ format: 'jwk' })
  const privateKey = createPrivateKey({ key: pair.privateKey, format: 'der', type: 'pkcs8' })
  return { privateKey, n: String(jwk.n), e: String(jwk.e) }
}

/**
 * A key pair of `modulusLength` bits that is not in `held` (the keys the caller already has).
 * `fresh`: generated for this caller only, never pooled.
 */
export function drawKeyPair(modulusLength: number, held: ReadonlySet<PooledKeyPair>, fresh = false): PooledKeyPair {
  if (fresh) return generate(modulusLength)
  let pool = pools.get(modulusLength)
  if (!pool) pools.set(modulusLength, (pool = []))
  if (pool.length >= KEY_POOL_SIZE) {
    let cursor = cursors.get(modulusLength) ?? 0
    for (let tried = 0; tried < pool.length; tried++) {
      const candidate = pool[cursor % pool.length]!
      cursor++
      if (!held.has(candidate)) {
        cursors.set(modulusLength, cursor % pool.length)
        return candidate
      }
    }
  }
  const key = generate(modulusLength)
  pool.push(key)
  return key
}
