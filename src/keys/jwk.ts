/**
 * Which JWKs may verify a Dynamic token. Node's and WebCrypto's importers accept keys that must
 * never be trusted (e = 1 makes forgery trivial; 1024-bit moduli are breakable), so every JWK is
 * checked here before it is imported: RSA, meant for signatures, at least 2048 bits, odd modulus
 * in minimal encoding, odd exponent above 2^16 and below 2^32, and no private members.
 */
import { decodeBase64url } from '../parse/base64url.js'
import type { RsaPublicJwk } from '../signature/backend.js'

/** The smallest RSA modulus accepted, in bits. */
export const MIN_RSA_BITS = 2048
/** The largest RSA modulus accepted, in bits (bounds the work one verification can cost). */
export const MAX_RSA_BITS = 8192

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** A JWK that passed every check, ready to import. */
export interface AcceptedJwk {
  readonly kid: string | undefined
  readonly jwk: RsaPublicJwk
  /** Modulus length in bytes: an RS256 signature must be exactly this long. */
  readonly modulusBytes: number
}

/** Checks one JWK; returns it ready to import, or the reason it is not usable. */
export function acceptJwk(candidate: unknown): AcceptedJwk | { rejected: string } {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return { rejected: 'is not a JSON object' }
  }
  const jwk = candidate as Record<string, unknown>
  const kid = Object.hasOwn(jwk, 'kid') ? jwk.kid : undefined
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) {
    return { rejected: 'has a kid that is not a non-empty string of at most 256 characters' }
  }
  const own = (name: string): unknown => (Object.hasOwn(jwk, name) ? jwk[name] : undefined)
  if (own('kty') !== 'RSA') return { rejected: `has kty ${JSON.stringify(own('kty'))}, not "RSA"` }
  const use = own('use')
  if (use !== undefined && use !== 'sig') return { rejected: `is marked use ${JSON.stringify(use)}, not "sig"` }
  const alg = own('alg')
  if (alg !== undefined && alg !== 'RS256') return { rejected: `is marked alg ${JSON.stringify(alg)}, not "RS256"` }
  const keyOps = own('key_ops')
  if (keyOps !== undefined && (!Array.isArray(keyOps) || !keyOps.includes('verify'))) {
    return { rejected: 'has key_ops without "verify"' }
  }
  for (const member of PRIVATE_MEMBERS) {
    if (Object.hasOwn(jwk, member)) return { rejected: `carries the private member "${member}"` }
  }
  const n = own('n')
  const e = own('e')
  if (typeof n !== 'string' || typeof e !== 'string') return { rejected: 'lacks a string n or e' }
  const modulus = decodeBase64url(n)
  const exponent = decodeBase64url(e)
  if (!modulus || !exponent || modulus.length === 0 || exponent.length === 0) {
    return { rejected: 'has n or e that is not canonical base64url' }
  }
  if (modulus[0] === 0 || exponent[0] === 0) return { rejected: 'has n or e with leading zero octets' }
  const bits = (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0]!))
  if (bits < MIN_RSA_BITS) return { rejected: `is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required` }
  if (bits > MAX_RSA_BITS) return { rejected: `is a ${bits}-bit RSA key; at most ${MAX_RSA_BITS} bits are accepted` }
  if ((modulus[modulus.length - 1]! & 1) === 0) return { rejected: 'has an even modulus' }
  if ((exponent[exponent.length - 1]! & 1) === 0) return { rejected: 'has an even public exponent' }
  // BoringSSL (Bun, workerd) refuses exponents above 33 bits where OpenSSL takes 64: the bound
  // that holds everywhere keeps a key's fate the same on every runtime. Real keys use 65537.
  if (exponent.length > 4) return { rejected: 'has a public exponent longer than 32 bits' }
  // e must exceed 2^16 (NIST SP 800-56B). With no leading zero octet and e odd, three or more
  // octets means e >= 65537, the exponent every real issuer uses.
  if (exponent.length < 3) return { rejected: 'has a public exponent not above 2^16' }
  return { kid, jwk: { kty: 'RSA', n, e }, modulusBytes: modulus.length }
}
