/**
 * The encodings of the session-key proof: lowercase hex (Dynamic's keychain writes public keys and
 * signatures in it), unpadded base64url (the body hash), and the P-256 point forms. Plain
 * JavaScript over `Uint8Array`, so that the module runs wherever WebCrypto does.
 */

const HEX = /^(?:[0-9a-f]{2})*$/

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

/** The bytes of lowercase hex, or undefined when `text` is not exactly that (no uppercase, even length). */
export function fromHex(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!HEX.test(text)) return undefined
  const bytes = new Uint8Array(text.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Unpadded base64url (RFC 4648 §5) of `bytes`. */
export function toBase64url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!
  }
  return out
}

// P-256 (NIST SP 800-186 / SEC 2): y² = x³ − 3x + b over GF(p).
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = base % modulus
  let e = exponent
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus
    b = (b * b) % modulus
    e >>= 1n
  }
  return result
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n
  for (const byte of bytes) n = (n << 8n) | BigInt(byte)
  return n
}

function toBytes32(n: bigint): Uint8Array {
  const bytes = new Uint8Array(32)
  let rest = n
  for (let i = 31; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return bytes
}

/** The affine coordinates of a P-256 public key, as a JWK's `x` and `y`. */
export interface P256Coordinates {
  readonly x: Uint8Array
  readonly y: Uint8Array
}

/**
 * The coordinates of a P-256 public key given as SEC 1 bytes: compressed (33 bytes, `02`/`03`,
 * which is what Dynamic's keychain publishes) or uncompressed (65 bytes, `04`). Undefined when the
 * bytes are not a point on the curve. We decompress here because the WebCrypto specification
 * leaves `raw` import of a compressed point optional, so a runtime may refuse it, while JWK import
 * of the coordinates works everywhere.
 */
export function p256Point(bytes: Uint8Array): P256Coordinates | undefined {
  const onCurve = (x: bigint, y: bigint): boolean =>
    x < P && y < P && (y * y) % P === (((x * x * x - 3n * x + B) % P) + P) % P
  if (bytes.length === 65 && bytes[0] === 4) {
    const x = bytes.slice(1, 33)
    const y = bytes.slice(33)
    return onCurve(toBigInt(x), toBigInt(y)) ? { x, y } : undefined
  }
  if (bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) return undefined
  const x = toBigInt(bytes.subarray(1))
  if (x >= P) return undefined
  const rhs = (((x * x * x - 3n * x + B) % P) + P) % P
  // p ≡ 3 (mod 4): a square root of rhs, when one exists, is rhs^((p+1)/4).
  let y = modPow(rhs, (P + 1n) / 4n, P)
  if ((y * y) % P !== rhs) return undefined
  if (Number(y & 1n) !== (bytes[0] & 1)) y = P - y
  return { x: bytes.slice(1), y: toBytes32(y) }
}

/** The compressed SEC 1 form (33 bytes) of a point's coordinates. */
export function compressPoint(point: P256Coordinates): Uint8Array {
  const out = new Uint8Array(33)
  out[0] = 2 | (point.y[31]! & 1)
  out.set(point.x, 1)
  return out
}

/** A 32-byte JWK coordinate (unpadded base64url), or undefined. */
export function fromBase64urlCoordinate(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined
  const bytes = new Uint8Array(33)
  let bits = 0
  let value = 0
  let index = 0
  for (const char of text) {
    value = (value << 6) | B64URL.indexOf(char)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      bytes[index++] = (value >> bits) & 0xff
    }
  }
  return index === 32 ? bytes.slice(0, 32) : undefined
}
