/**
 * Solana sign-in signatures, checked for real: a Solana address is the base58 of a 32-byte ed25519
 * public key, and a wallet signs the UTF-8 bytes of the message itself (no prefix, no hash); the
 * signature arrives as base58 (what Solana wallets return, 64 bytes). node:crypto verifies ed25519.
 */
import { createPublicKey, verify } from 'node:crypto'
import { decodeBase58 } from './base58.js'

/** True for the base58 of 32 bytes. */
export function isSolanaAddress(address: string): boolean {
  return /^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(address) && decodeBase58(address)?.length === 32
}

/** True when `signature` (base58, or 128 hex digits) is `address`'s ed25519 signature of `message`. */
export function verifySolanaSignature(message: string, signature: string, address: string): boolean {
  const publicKey = decodeBase58(address)
  const bytes = /^(0x)?[0-9a-fA-F]{128}$/.test(signature)
    ? Buffer.from(signature.replace(/^0x/, ''), 'hex')
    : decodeBase58(signature)
  if (publicKey?.length !== 32 || !bytes || bytes.length !== 64) return false
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    })
    return verify(null, Buffer.from(message, 'utf8'), key, bytes)
  } catch {
    return false
  }
}
