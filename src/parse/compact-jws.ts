/**
 * Strict compact-JWS parsing: three non-empty canonical base64url parts, header and payload JSON
 * objects. Nothing here trusts the content: the signature is checked later, over exactly the
 * bytes parsed here.
 */
import { DynamicAuthError } from '../errors.js'
import { decodeBase64url, decodeBase64urlTransient, isAsciiText } from './base64url.js'
import { parseJsonObject } from './strict-json.js'

/** The protected header, as far as the verifier reads it. Other members are kept. */
export interface JwsHeader {
  alg?: unknown
  kid?: unknown
  typ?: unknown
  crit?: unknown
  [member: string]: unknown
}

/** A compact JWS taken apart, not yet verified. */
export interface ParsedToken {
  /** Shared between tokens with the same header, and frozen: copy it before changing it. */
  readonly header: Readonly<JwsHeader>
  readonly payload: Record<string, unknown>
  /** `base64url(header) "." base64url(payload)`: the bytes the signature covers. */
  readonly signingInput: string
  readonly signature: Uint8Array
}

/** Header members that point at keys; a verifier pinned to one JWKS never follows them. */
const KEY_POINTING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const

function malformed(message: string): DynamicAuthError {
  return new DynamicAuthError('token_malformed', message)
}

/**
 * Parses a compact JWS. `maxLength` caps the raw token before any decoding.
 * Throws `token_missing` for empty input and `token_malformed` for anything not a strict JWS.
 * A token refused only because of what surrounds it (a `Bearer ` prefix, quotes, whitespace) is
 * refused all the same, with a message that says what to remove: nothing is stripped silently.
 */
export function parseCompactJws(token: unknown, maxLength: number): ParsedToken {
  try {
    return parseStrict(token, maxLength)
  } catch (error) {
    throw typeof token === 'string' ? explainWrapping(token, maxLength, error) : error
  }
}

/** What surrounds a token by mistake, and what to do about it. */
const WRAPPINGS: ReadonlyArray<{ readonly strip: (token: string) => string | undefined; readonly fix: string }> = [
  {
    strip: (token) => (/^bearer\s+/i.test(token) ? token.replace(/^bearer\s+/i, '') : undefined),
    fix: 'The token starts with "Bearer ": pass the token alone (verifyToken(token), not the Authorization header\'s value).',
  },
  {
    strip: (token) => {
      const trimmed = token.trim()
      const quote = trimmed[0]
      return (quote === '"' || quote === "'") && trimmed.length > 2 && trimmed.endsWith(quote)
        ? trimmed.slice(1, -1)
        : undefined
    },
    fix: 'The token is in quotes (a JSON-encoded string, as localStorage or a JSON file gives it): send or pass the token itself, without the quotes (JSON.parse the stored value).',
  },
  {
    strip: (token) => (token.trim() !== token ? token.trim() : undefined),
    fix: 'The token has whitespace or a line break before or after it (read from a file or an environment variable?): trim it before sending or passing it.',
  },
]

/** Replaces a parse refusal's message with the fix when removing one wrapping makes the token parse. */
function explainWrapping(token: string, maxLength: number, error: unknown): unknown {
  if (!(error instanceof DynamicAuthError) || error.code !== 'token_malformed') return error
  for (const { strip, fix } of WRAPPINGS) {
    const inner = strip(token)
    if (inner === undefined) continue
    try {
      parseStrict(inner, maxLength)
    } catch {
      continue
    }
    return malformed(fix)
  }
  return error
}

function parseStrict(token: unknown, maxLength: number): ParsedToken {
  if (typeof token !== 'string') {
    if (token === undefined || token === null) {
      throw new DynamicAuthError('token_missing', 'No token was given.')
    }
    throw malformed(`The token must be a string, not ${Array.isArray(token) ? 'an array' : typeof token}.`)
  }
  if (token.length === 0) throw new DynamicAuthError('token_missing', 'The token is an empty string.')
  if (token.length > maxLength) {
    throw malformed(
      `The token is ${token.length} characters long; the limit is ${maxLength} (option advanced.maxTokenLength).`,
    )
  }
  const firstDot = token.indexOf('.')
  const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1)
  if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
    const parts = token.split('.', 6).length
    throw malformed(
      parts >= 5
        ? 'The token has five or more parts: an encrypted JWE, not a signed JWT.'
        : 'A JWT has exactly three dot-separated parts (header.payload.signature).',
    )
  }
  const headerPart = token.slice(0, firstDot)
  const payloadPart = token.slice(firstDot + 1, secondDot)
  const signaturePart = token.slice(secondDot + 1)
  if (!headerPart || !payloadPart || !signaturePart) {
    throw malformed('The token has an empty header, payload or signature part.')
  }

  // One ASCII proof for the whole token; when it fails, each part is checked on its own, so the
  // refusal names the part at fault.
  const ascii = isAsciiText(token)
  // Most tokens carry the header of the token before: one string comparison, no hashing.
  const known = headerPart === lastHeader.part ? lastHeader.header : acceptedHeaders.get(headerPart)
  if (known) {
    // The same checks in the same order; the header's own ones are known to pass.
    const payload = decodeJsonPart(payloadPart, 'payload', ascii)
    const signature = decodeBase64url(signaturePart, ascii)
    if (!signature) throw malformed('The signature part is not canonical unpadded base64url.')
    lastHeader.part = headerPart
    lastHeader.header = known
    return { header: known, payload, signingInput: token.slice(0, secondDot), signature }
  }

  const header = decodeJsonPart(headerPart, 'header', ascii)
  const payload = decodeJsonPart(payloadPart, 'payload', ascii)
  const signature = decodeBase64url(signaturePart, ascii)
  if (!signature) throw malformed('The signature part is not canonical unpadded base64url.')

  if (Object.hasOwn(header, 'enc'))
    throw malformed('The token is a JWE (header has "enc"); only signed JWTs are accepted.')
  if (Object.hasOwn(header, 'crit')) {
    throw malformed('The token header has "crit"; Dynamic tokens use no critical extensions, so it is refused.')
  }
  if (Object.hasOwn(header, 'b64')) throw malformed('The token header has "b64"; unencoded payloads are refused.')
  for (const name of KEY_POINTING_HEADERS) {
    if (Object.hasOwn(header, name)) {
      throw malformed(
        `The token header carries "${name}". Keys come only from the configured JWKS, so tokens that point at their own keys are refused.`,
      )
    }
  }
  return { header: rememberHeader(headerPart, header), payload, signingInput: token.slice(0, secondDot), signature }
}

/**
 * Headers that passed every check above, by their base64url text. All tokens signed with one
 * key carry the same header, so decoding and checking it for each token is wasted work. Only
 * headers whose members are all primitives are kept, frozen, and shared by every token that
 * carries them.
 */
const acceptedHeaders = new Map<string, Readonly<JwsHeader>>()
const ACCEPTED_HEADERS_MAX = 64
/** The header of the last token parsed, checked before the map. */
const lastHeader: { part: string; header: Readonly<JwsHeader> | undefined } = { part: '', header: undefined }

function rememberHeader(part: string, header: JwsHeader): Readonly<JwsHeader> {
  Object.freeze(header)
  if (part.length > 1024) return header
  for (const name in header) {
    const value = header[name]
    if (typeof value === 'object' && value !== null) return header
  }
  if (acceptedHeaders.size >= ACCEPTED_HEADERS_MAX) acceptedHeaders.clear()
  acceptedHeaders.set(part, header)
  lastHeader.part = part
  lastHeader.header = header
  return header
}

function decodeJsonPart(part: string, name: 'header' | 'payload', ascii: boolean): Record<string, unknown> {
  // The bytes are read once, into a string, before anything else is decoded.
  const bytes = decodeBase64urlTransient(part, ascii)
  if (!bytes) throw malformed(`The ${name} part is not canonical unpadded base64url.`)
  const parsed = parseJsonObject(bytes)
  if ('reason' in parsed) throw malformed(`The ${name} ${parsed.reason}.`)
  return parsed.value
}

/**
 * Decodes a token's header and claims without verifying anything. For display and debugging
 * only: nothing returned here may be trusted.
 */
export function decodeUnverified(
  token: string,
  maxLength = 65536,
): {
  /** The JOSE header. */
  header: JwsHeader
  /** The claims, unverified. */
  payload: Record<string, unknown>
} {
  const { header, payload } = parseCompactJws(token, maxLength)
  return { header: { ...header }, payload }
}
