/**
 * Strict base64url (RFC 4648 §5, no padding). Lenient decoders accept `+`, `/`, `=`, spaces and
 * non-canonical final characters, so one token could be written many ways; we accept exactly one.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/
const VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < 64; i++) {
  VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i
}

type BufferLike = {
  from(input: string, encoding: string): Uint8Array
  byteLength(input: string, encoding: string): number
}
// Node, Bun and Deno have a native decoder; elsewhere we decode in JS.
const NativeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer

/**
 * Node's own decoder skips every ASCII character outside the base64 alphabets, so for such input
 * it returns fewer bytes than the length implies: for ASCII text (checked first: the decoder
 * reads only the low byte of wider characters), one length comparison plus a look for `+` and
 * `/`, which it also accepts, proves the alphabet, saving a regex pass over the token on the hot
 * path. Every ASCII character was checked against this. Other runtimes keep the regex.
 */
const nodeDecoder =
  NativeBuffer !== undefined &&
  (globalThis as { process?: { release?: { name?: string } } }).process?.release?.name === 'node' &&
  !('Bun' in globalThis) &&
  !('Deno' in globalThis)

/** The unused low bits of the last character (4 when len%4 is 2, 2 when 3) must be zero. */
function canonicalTail(text: string, remainder: number): boolean {
  if (remainder === 0) return true
  const last = VALUES[text.charCodeAt(text.length - 1)]
  if (last === undefined || last < 0) return false
  return remainder === 2 ? (last & 0b1111) === 0 : (last & 0b11) === 0
}

/** True when `text` is canonical unpadded base64url: right alphabet, length and unused bits. */
export function isCanonicalBase64url(text: string): boolean {
  const remainder = text.length & 3
  return remainder !== 1 && ALPHABET.test(text) && canonicalTail(text, remainder)
}

/**
 * True when every character of `text` is ASCII, proven by one native count on Node (false
 * elsewhere: the decoders then check each part themselves). A token is checked once, whole, and
 * its parts decoded with `ascii` set: one count instead of one per part, and the count is
 * cheapest on the token itself (a part is a slice of it, which takes Node's slower path).
 */
export function isAsciiText(text: string): boolean {
  return nodeDecoder && NativeBuffer.byteLength(text, 'utf8') === text.length
}

/**
 * Decodes canonical base64url; returns undefined for anything else. `ascii`: the caller has
 * proven `text` ASCII ({@link isAsciiText}), so that check is skipped.
 */
export function decodeBase64url(text: string, ascii = false): Uint8Array | undefined {
  const remainder = text.length & 3
  if (remainder === 1) return undefined
  if (nodeDecoder) {
    if (!ascii && NativeBuffer.byteLength(text, 'utf8') !== text.length) return undefined // not ASCII
    const bytes = NativeBuffer.from(text, 'base64url')
    const exact = bytes.length === (text.length * 3) >>> 2 && text.indexOf('+') < 0 && text.indexOf('/') < 0
    return exact && canonicalTail(text, remainder) ? bytes : undefined
  }
  if (!ALPHABET.test(text) || !canonicalTail(text, remainder)) return undefined
  return NativeBuffer ? NativeBuffer.from(text, 'base64url') : decodeInJs(text)
}

/**
 * The bytes of text that is read at once and then dropped (a token's JSON parts): decoded into
 * one reused buffer, so a token costs no allocation (nor a share of Node's buffer pool) for it.
 * The view returned is overwritten by the next call: read it before decoding anything else.
 */
const scratch = nodeDecoder
  ? (NativeBuffer as unknown as { allocUnsafeSlow(size: number): ScratchBuffer }).allocUnsafeSlow(8192)
  : undefined
/** One view of the scratch buffer per length met (at most 8,192, a few hundred KB), so that no call allocates one. */
const scratchViews: Uint8Array[] = []

interface ScratchBuffer extends Uint8Array {
  write(text: string, offset: number, length: number, encoding: 'base64url'): number
  base64urlWrite?(text: string, offset: number, length: number): number
}

/**
 * Writes base64url text into the scratch buffer: with the decoder Buffer#write itself dispatches
 * to (on Node's buffers since 15.7) when there is one, which skips write's argument handling and
 * encoding lookup, a few small functions a new process would otherwise interpret and compile for
 * every token; else with Buffer#write.
 */
const writeScratch: ((text: string, length: number) => number) | undefined =
  scratch === undefined
    ? undefined
    : typeof scratch.base64urlWrite === 'function'
      ? (text, length) => scratch.base64urlWrite!(text, 0, length)
      : (text, length) => scratch.write(text, 0, length, 'base64url')

/** {@link decodeBase64url}, into a buffer the next call reuses (see `scratch`). */
export function decodeBase64urlTransient(text: string, ascii = false): Uint8Array | undefined {
  const remainder = text.length & 3
  if (remainder === 1) return undefined
  const length = (text.length * 3) >>> 2
  if (writeScratch === undefined || length > scratch!.length) return decodeBase64url(text, ascii)
  // The same proof of the alphabet as decodeBase64url: ASCII, no byte skipped, no `+` or `/`.
  if (!ascii && NativeBuffer!.byteLength(text, 'utf8') !== text.length) return undefined
  const exact = writeScratch(text, length) === length && text.indexOf('+') < 0 && text.indexOf('/') < 0
  if (!exact || !canonicalTail(text, remainder)) return undefined
  return (scratchViews[length] ??= new Uint8Array(scratch!.buffer, scratch!.byteOffset, length))
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
