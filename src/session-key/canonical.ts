/**
 * The session-key proof's wire format: one request header and the canonical string its signature
 * covers. The specification, with examples, is docs/guide/session-key.md; this file is the one
 * place in code that writes and reads it, for the signer and the verifier alike.
 */
import { toBase64url } from './encoding.js'

/** The request header that carries the proof. */
export const SESSION_SIGNATURE_HEADER = 'x-session-signature'

/** The first line of every canonical string: the protocol and its version. */
export const CANONICAL_LABEL = 'dynamic-guard-session-signature/v1'

/** What the proof header carries. */
export interface SessionSignatureFields {
  /** Unix time in whole seconds when the request was signed. */
  readonly timestamp: number
  /** The one-time value: 16 to 64 characters of the base64url alphabet. */
  readonly nonce: string
  /** The ECDSA P-256 signature, raw `r‖s` (64 bytes), as 128 lowercase hex characters. */
  readonly signature: string
}

/** What the signature covers besides the header's own timestamp and nonce. */
export interface SignedRequest {
  /** The HTTP method; compared upper-cased. */
  readonly method: string
  /** The request target as a URL's `pathname + search` (see {@link requestTarget}). */
  readonly target: string
  /** SHA-256 of the body's exact bytes, unpadded base64url (see {@link bodyHash}). */
  readonly bodyHash: string
}

const NONCE = /^[A-Za-z0-9_-]{16,64}$/
const SIGNATURE = /^[0-9a-f]{128}$/
const TIMESTAMP = /^(?:0|[1-9][0-9]{0,11})$/

/**
 * The path and query of `url` exactly as the WHATWG URL parser writes them (`pathname` then
 * `search`, which starts with `?` when there is a query). Signer and verifier both pass the URL
 * through the same parser, so percent-encoding agrees; parameter order is kept as sent.
 */
export function requestTarget(url: string | URL, base = 'http://localhost'): string {
  const parsed = typeof url === 'string' ? new URL(url, base) : url
  return `${parsed.pathname}${parsed.search}`
}

/** SHA-256 of the body's bytes (an empty or absent body hashes the empty string), unpadded base64url. */
export async function bodyHash(body: Uint8Array | ArrayBuffer | string | null | undefined): Promise<string> {
  const bytes =
    body === null || body === undefined
      ? new Uint8Array(0)
      : typeof body === 'string'
        ? new TextEncoder().encode(body)
        : body instanceof Uint8Array
          ? body
          : new Uint8Array(body)
  return toBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)))
}

/**
 * The string the session key signs: six lines joined by `\n`, no trailing newline: the label,
 * the method, the target, the body hash, the timestamp, the nonce. The label first makes the
 * string unmistakable for anything else the key signs, such as the session id and the nonces of
 * Dynamic's own `getSignedSessionId`.
 */
export function canonicalString(
  request: SignedRequest,
  fields: Pick<SessionSignatureFields, 'timestamp' | 'nonce'>,
): string {
  return [
    CANONICAL_LABEL,
    request.method.toUpperCase(),
    request.target,
    request.bodyHash,
    String(fields.timestamp),
    fields.nonce,
  ].join('\n')
}

/** The header value: `v=1, ts=<seconds>, nonce=<nonce>, sig=<hex>`. */
export function formatSignatureHeader(fields: SessionSignatureFields): string {
  return `v=1, ts=${fields.timestamp}, nonce=${fields.nonce}, sig=${fields.signature}`
}

/**
 * The fields of a header value, or why it is not one. Strict: exactly the four members, each
 * once, in any order, with the encodings the specification gives.
 */
export function parseSignatureHeader(value: string): SessionSignatureFields | string {
  if (value.length > 512) return 'The header is longer than any valid one.'
  const members = new Map<string, string>()
  for (const part of value.split(',')) {
    const match = /^\s*([a-z]+)=([^\s,]*)\s*$/.exec(part)
    if (!match) return 'The header must be "v=1, ts=<seconds>, nonce=<nonce>, sig=<hex>".'
    if (members.has(match[1]!)) return `"${match[1]}" appears twice.`
    members.set(match[1]!, match[2]!)
  }
  for (const name of members.keys()) if (!['v', 'ts', 'nonce', 'sig'].includes(name)) return `Unknown member "${name}".`
  if (members.get('v') !== '1') return 'Only version 1 (v=1) is understood.'
  const ts = members.get('ts') ?? ''
  const nonce = members.get('nonce') ?? ''
  const sig = members.get('sig') ?? ''
  if (!TIMESTAMP.test(ts)) return 'ts must be Unix time in whole seconds (decimal digits).'
  if (!NONCE.test(nonce)) return 'nonce must be 16 to 64 characters of A-Z a-z 0-9 - _.'
  if (!SIGNATURE.test(sig)) return 'sig must be the raw r||s signature as 128 lowercase hex characters.'
  return { timestamp: Number(ts), nonce, signature: sig }
}
