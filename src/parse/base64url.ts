/**
 * Strict base64url (RFC 4648 §5, no padding). Lenient decoders accept `+`, `/`, `=`, spaces and
 * non-canonical final characters, so one token could be written many ways; we accept exactly one.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/
const VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < 64; i++) {
  VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i
}

type BufferLike = { from(input: string, encoding: string): Uint8Array }
// Node, Bun and Deno have a native decoder; elsewhere we decode in JS.
const NativeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

/** True when `text` is canonical unpadded base64url: right alphabet, length and unused bits. */
export function isCanonicalBase64url(text: string): boolean {
  const remainder = text.length & 3
  if (remainder === 1 || !ALPHABET.test(text)) return false
  if (remainder === 0) return true
  // The last character carries 4 (len%4==2) or 2 (len%4==3) unused bits; they must be zero.
  const last = VALUES[text.charCodeAt(text.length - 1)]!
  return remainder === 2 ? (last & 0b1111) === 0 : (last & 0b11) === 0
}

/** Decodes canonical base64url; returns undefined for anything else. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (!isCanonicalBase64url(text)) return undefined
  if (NativeBuffer) return NativeBuffer.from(text, 'base64url')
  return decodeInJs(text)
}

function decodeInJs(text: string): Uint8Array {
  const out = new Uint8Array((text.length * 3) >> 2)
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < text.length; i++) {
    value = (value << 6) | VALUES[text.charCodeAt(i)]!
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >> bits) & 0xff
    }
  }
  return out
}

/** Encodes bytes (or a UTF-8 string) as unpadded base64url. */
export function encodeBase64url(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
  if (NativeBuffer) {
    const B = NativeBuffer as unknown as { from(b: Uint8Array): { toString(e: string): string } }
    return B.from(bytes).toString('base64url')
  }
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
