/**
 * Key pairs for tests that need a key of their own (not the test kit's pool). Node hands them over
 * encoded (DER) and they are parsed into key objects of their own: key objects straight from
 * `generateKeyPairSync` share a lock with the generation job, whose clean-up at a garbage
 * collection takes it while an `export()` or a signature holds it, which can block the process
 * for good (see src/testing/key-pool.ts).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'

/** A private key and its public key, sharing nothing with the job that generated them. */
export interface KeyPair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
}

const DER = {
  publicKeyEncoding: { type: 'spki', format: 'der' },
  privateKeyEncoding: { type: 'pkcs8', format: 'der' },
} as const

export function generateKeyPair(type: 'rsa', options: { modulusLength: number; publicExponent?: number }): KeyPair
export function generateKeyPair(type: 'ec', options: { namedCurve: string }): KeyPair
export function generateKeyPair(type: 'ed25519'): KeyPair
export function generateKeyPair(type: 'rsa' | 'ec' | 'ed25519', options: object = {}): KeyPair {
  const pair = generateKeyPairSync(type as 'rsa', { ...(options as { modulusLength: number }), ...DER }) as unknown as {
    publicKey: Buffer
    privateKey: Buffer
  }
  return {
    publicKey: createPublicKey({ key: pair.publicKey, format: 'der', type: 'spki' }),
    privateKey: createPrivateKey({ key: pair.privateKey, format: 'der', type: 'pkcs8' }),
  }
}
