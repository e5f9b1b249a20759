/**
 * Ethereum's personal-message signatures (EIP-191 `personal_sign`), checked for real: the
 * message hash is keccak-256 of `"\x19Ethereum Signed Message:\n" + length + message`, the
 * signature is `r ‖ s ‖ v` (65 bytes, v = 27 or 28), and the signer is the address recovered from
 * it (the last 20 bytes of keccak-256 of the public key). node:crypto has neither keccak-256 (its
 * sha3-256 pads differently) nor public-key recovery, so this uses @noble/curves and
 * @noble/hashes, which the build bundles. Pure JavaScript: it runs in Node and in a browser page.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'

const encoder = new TextEncoder()

const toHex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')

function fromHex(hex: string): Uint8Array | undefined {
  const digits = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) return undefined
  const bytes = new Uint8Array(digits.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** The hash `personal_sign` signs (EIP-191, version 0x45). */
export function personalMessageHash(message: string): Uint8Array {
  const body = encoder.encode(message)
  const prefix = encoder.encode(`\x19Ethereum Signed Message:\n${body.length}`)
  const whole = new Uint8Array(prefix.length + body.length)
  whole.set(prefix)
  whole.set(body, prefix.length)
  return keccak_256(whole)
}

/** True for `0x` and 40 hex digits, whatever their case. */
export function isEvmAddress(address: string): boolean {
  return /^0x[0-9a-fA-F]{40}$/.test(address)
}

/** The EIP-55 mixed-case (checksummed) form of an address. */
export function checksumAddress(address: string): string {
  const lower = address.toLowerCase().replace(/^0x/, '')
  const hash = toHex(keccak_256(encoder.encode(lower)))
  let out = '0x'
  for (let i = 0; i < lower.length; i++) out += Number.parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!
  return out
}

/** The checksummed address of an uncompressed (65-byte) or compressed (33-byte) secp256k1 public key. */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  const uncompressed = publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false)
  return checksumAddress(`0x${toHex(keccak_256(uncompressed.slice(1)).slice(12))}`)
}

/**
 * The checksummed address that signed `message` with `personal_sign`, or undefined when the
 * signature is malformed or recovers no key. Accepts v as 27/28 or 0/1; refuses high-s signatures
 * (EIP-2), which a wallet never produces.
 */
export function recoverPersonalSigner(message: string, signature: string): string | undefined {
  const bytes = fromHex(signature)
  if (bytes?.length !== 65) return undefined
  const v = bytes[64]!
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) return undefined
  const recovered = new Uint8Array(65)
  recovered[0] = recovery
  recovered.set(bytes.subarray(0, 64), 1)
  try {
    const hash = personalMessageHash(message)
    const publicKey = secp256k1.recoverPublicKey(recovered, hash, { prehash: false })
    // recoverPublicKey does not refuse a malleated (high-s) signature; verify does.
    if (!secp256k1.verify(bytes.subarray(0, 64), hash, publicKey, { prehash: false, lowS: true })) return undefined
    return addressOfPublicKey(publicKey)
  } catch {
    return undefined
  }
}

/** A `personal_sign` signature of `message` by `privateKey` (32 bytes): `0x` + r ‖ s ‖ v, v = 27 or 28. */
export function signPersonalMessage(privateKey: Uint8Array, message: string): string {
  const recovered = secp256k1.sign(personalMessageHash(message), privateKey, { prehash: false, format: 'recovered' })
  const out = new Uint8Array(65)
  out.set(recovered.subarray(1), 0)
  out[64] = 27 + recovered[0]!
  return `0x${toHex(out)}`
}

/** A new random private key (32 bytes). */
export function randomPrivateKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey()
}

/** The private key of a hex string (`0x` optional), or undefined when it is not a valid secp256k1 key. */
export function privateKeyFromHex(hex: string): Uint8Array | undefined {
  const bytes = fromHex(hex)
  if (bytes?.length !== 32 || !secp256k1.utils.isValidSecretKey(bytes)) return undefined
  return bytes
}

/** The checksummed address of a private key. */
export function addressOfPrivateKey(privateKey: Uint8Array): string {
  return addressOfPublicKey(secp256k1.getPublicKey(privateKey, false))
}

export { toHex }
