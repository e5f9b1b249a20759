/**
 * Verifies a session-key proof: the request's `x-session-signature` header, checked against the
 * `session_public_key` of the (already verified) session token. WebCrypto only, so it runs on
 * Node, Deno, Bun and Workers alike. It never throws for a bad request: it answers a verdict, and a
 * refusal carries a stable reason that the HTTP layer maps to an error code. A guard makes one
 * verifier (`createSessionKeyVerifier`: options checked once, imported keys kept in it, no module
 * state); `verifySessionKeyProof` checks a single proof.
 */
import type { OneTimeStore } from '../one-time/store.js'
import {
  bodyHash,
  canonicalString,
  parseSignatureHeader,
  requestTarget,
  type SessionSignatureFields,
} from './canonical.js'
import { fromHex, p256Point, toBase64url } from './encoding.js'

/** Why a proof was refused. Stable strings: the HTTP layer maps each to an error code. */
export type SessionKeyRefusalReason =
  /** The route requires a proof and the request carries no `x-session-signature` header. */
  | 'signature_missing'
  /** The header is there but is not `v=1, ts=…, nonce=…, sig=…` with valid encodings. */
  | 'signature_malformed'
  /** The token has no `session_public_key` claim: it cannot prove possession of anything. */
  | 'key_missing'
  /** The token's `session_public_key` is not a P-256 point in SEC 1 hex. */
  | 'key_malformed'
  /** The proof's timestamp is further from the server's clock than the allowed skew. */
  | 'timestamp_out_of_range'
  /** The signature does not verify: another method, path, query, body, timestamp or nonce, or another key. */
  | 'signature_invalid'
  /** This nonce has been used with this key already. */
  | 'replayed'
  /** The replay check failed (its store is unreachable): refused, since a replay cannot be ruled out. */
  | 'replay_check_unavailable'

/** Every {@link SessionKeyRefusalReason}, for exhaustive mappings and tests. */
export const SESSION_KEY_REFUSAL_REASONS: readonly SessionKeyRefusalReason[] = [
  'signature_missing',
  'signature_malformed',
  'key_missing',
  'key_malformed',
  'timestamp_out_of_range',
  'signature_invalid',
  'replayed',
  'replay_check_unavailable',
]

/** A refused proof: why, and a message that says what to fix. */
export interface SessionKeyRefusal {
  readonly ok: false
  readonly reason: SessionKeyRefusalReason
  readonly message: string
}

/** An accepted proof. */
export interface SessionKeyAcceptance {
  readonly ok: true
  /** The session public key that signed, compressed SEC 1 hex (as the token carries it). */
  readonly publicKey: string
  readonly timestamp: number
  readonly nonce: string
}

/** The outcome of {@link verifySessionKeyProof}. */
export type SessionKeyVerdict = SessionKeyAcceptance | SessionKeyRefusal

/**
 * The replay check: the hook a one-time store (in memory, or Redis for a fleet) implements. The
 * same store makes single-use elevated tokens single-use: this is {@link OneTimeStore} by another
 * name. A rejected claim refuses the proof (`replay_check_unavailable`).
 */
export type ReplayCheck = OneTimeStore

/** The input of {@link verifySessionKeyProof}. */
export interface SessionKeyProofInput {
  /** The request's method. */
  readonly method: string
  /** The request's URL (absolute, or a path with its query). Only the path and query are signed. */
  readonly url: string | URL
  /** The exact bytes of the request body (a string is taken as UTF-8); absent or null for none. */
  readonly body?: Uint8Array | ArrayBuffer | string | null
  /** The value of the `x-session-signature` header, if any. */
  readonly header: string | null | undefined
  /** The verified token's `session_public_key` claim, as it is (any type: it is checked here). */
  readonly sessionPublicKey: unknown
  /** Where nonces are recorded. Required: a proof without a replay check can be replayed within the skew. */
  readonly replayCheck: ReplayCheck
  /** How far (seconds) the proof's timestamp may be from the server's clock, either way. Default 60; at most 300. */
  readonly maxSkewSeconds?: number
  /** The server's clock, Unix seconds. Default now. */
  readonly now?: number
}

/** The default allowed clock skew, seconds. */
export const DEFAULT_MAX_SKEW_SECONDS = 60
/** The largest allowed clock skew, seconds: beyond it a captured proof lives too long. */
export const MAX_SKEW_SECONDS = 300

const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const

/** The key of a compressed (or uncompressed) SEC 1 hex point, or undefined when it is not one. */
function importSessionKey(hex: string): Promise<CryptoKey | undefined> {
  const bytes = fromHex(hex)
  const point = bytes && p256Point(bytes)
  if (!point) return Promise.resolve(undefined)
  return crypto.subtle
    .importKey(
      'jwk',
      { kty: 'EC', crv: 'P-256', x: toBase64url(point.x), y: toBase64url(point.y), ext: true },
      P256,
      false,
      ['verify'],
    )
    .then(
      (key) => key,
      () => undefined,
    )
}

/** Imported keys by hex, bounded (the oldest goes first): a session signs many requests, and an import costs more than a lookup. */
class KeyCache {
  private readonly keys = new Map<string, Promise<CryptoKey | undefined>>()
  constructor(private readonly limit: number) {}

  get(hex: string): Promise<CryptoKey | undefined> {
    const cached = this.keys.get(hex)
    if (cached) return cached
    const imported = importSessionKey(hex)
    if (this.keys.size >= this.limit) this.keys.delete(this.keys.keys().next().value as string)
    this.keys.set(hex, imported)
    return imported
  }
}

/** Throws a TypeError unless `maxSkew` is a whole number of seconds within the bounds. */
function checkSkew(maxSkew: number): void {
  if (!Number.isInteger(maxSkew) || maxSkew < 1 || maxSkew > MAX_SKEW_SECONDS) {
    throw new TypeError(
      `maxSkewSeconds must be a whole number of seconds from 1 to ${MAX_SKEW_SECONDS}; got ${String(maxSkew)}.`,
    )
  }
}

const refuse = (reason: SessionKeyRefusalReason, message: string): SessionKeyRefusal => ({ ok: false, reason, message })

/**
 * Checks a request's session-key proof once (importing the key each time; a guard uses
 * {@link createSessionKeyVerifier}, which keeps imported keys). Throws a TypeError for a bad
 * `maxSkewSeconds`; a bad request is a refusal, never a throw.
 */
export async function verifySessionKeyProof(input: SessionKeyProofInput): Promise<SessionKeyVerdict> {
  const maxSkew = input.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS
  checkSkew(maxSkew)
  return verifyProof(input, maxSkew, importSessionKey)
}

/** Options of {@link createSessionKeyVerifier}, checked once when it is made. */
export interface SessionKeyVerifierOptions {
  /** Where nonces are recorded (the fleet's one-time store). */
  readonly replayCheck: ReplayCheck
  /** How far (seconds) a proof's timestamp may be from the server's clock, either way. Default 60; at most 300. */
  readonly maxSkewSeconds?: number
  /** How many imported session keys to keep. Default 1000. */
  readonly keyCacheSize?: number
  /** The clock, Unix seconds. Default `Date.now()`. */
  readonly now?: () => number
}

/** A request as {@link SessionKeyVerifier.verify} takes it: the proof input less the options. */
export type SessionKeyRequest = Omit<SessionKeyProofInput, 'replayCheck' | 'maxSkewSeconds' | 'now'>

/** Verifies proofs with fixed options and a cache of imported keys of its own. */
export interface SessionKeyVerifier {
  verify(request: SessionKeyRequest): Promise<SessionKeyVerdict>
}

/** Makes a verifier; throws a TypeError naming a bad option. */
export function createSessionKeyVerifier(options: SessionKeyVerifierOptions): SessionKeyVerifier {
  const maxSkew = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS
  checkSkew(maxSkew)
  const size = options.keyCacheSize ?? 1000
  if (!Number.isInteger(size) || size < 1)
    throw new TypeError(`keyCacheSize must be a positive whole number; got ${String(size)}.`)
  if (typeof options.replayCheck?.claim !== 'function')
    throw new TypeError(
      'replayCheck must have a claim(id, expiresAt) method: a request cannot be proven fresh without one.',
    )
  const keys = new KeyCache(size)
  const clock = options.now ?? (() => Math.floor(Date.now() / 1000))
  return {
    verify: (request) =>
      verifyProof({ ...request, replayCheck: options.replayCheck, now: clock() }, maxSkew, (hex) => keys.get(hex)),
  }
}

/**
 * The checks, in this order: the header parses, the token names a key, the timestamp is within
 * the skew, the signature verifies over the canonical string, and only then the nonce is claimed
 * (so that unsigned garbage never fills the replay store).
 */
async function verifyProof(
  input: SessionKeyProofInput,
  maxSkew: number,
  keyOf: (hex: string) => Promise<CryptoKey | undefined>,
): Promise<SessionKeyVerdict> {
  if (input.header === undefined || input.header === null || input.header === '') {
    return refuse(
      'signature_missing',
      'This route requires a request signed with the session key: send the x-session-signature header (see the session-key guide).',
    )
  }
  const fields: SessionSignatureFields | string = parseSignatureHeader(input.header)
  if (typeof fields === 'string')
    return refuse('signature_malformed', `The x-session-signature header is malformed: ${fields}`)
  if (input.sessionPublicKey === undefined || input.sessionPublicKey === null) {
    return refuse(
      'key_missing',
      'The token carries no session_public_key, so it cannot prove possession of a session key: sign in again with a client that sends its session key (x-dyn-session-public-key).',
    )
  }
  if (typeof input.sessionPublicKey !== 'string')
    return refuse('key_malformed', "The token's session_public_key is not a string of hex.")
  const key = await keyOf(input.sessionPublicKey)
  if (!key)
    return refuse(
      'key_malformed',
      "The token's session_public_key is not a P-256 public key in compressed (or uncompressed) SEC 1 lowercase hex.",
    )
  const now = input.now ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - fields.timestamp) > maxSkew) {
    const way = fields.timestamp > now ? 'ahead of' : 'behind'
    return refuse(
      'timestamp_out_of_range',
      `The signature's timestamp is ${Math.abs(now - fields.timestamp)} s ${way} the server's clock (at most ${maxSkew} s allowed): sign each request when it is sent, with a clock kept in time.`,
    )
  }
  const signed = canonicalString(
    { method: input.method, target: requestTarget(input.url), bodyHash: await bodyHash(input.body) },
    fields,
  )
  const valid = await crypto.subtle.verify(
    ECDSA_SHA256,
    key,
    fromHex(fields.signature)!,
    new TextEncoder().encode(signed),
  )
  if (!valid) {
    return refuse(
      'signature_invalid',
      "The request signature does not verify with the token's session key: sign the method, path and query, and body exactly as sent, with the key of the session the token belongs to.",
    )
  }
  let first: boolean
  try {
    first = await input.replayCheck.claim(
      `session-key:${input.sessionPublicKey}:${fields.nonce}`,
      fields.timestamp + maxSkew,
    )
  } catch {
    return refuse(
      'replay_check_unavailable',
      'The replay check is unavailable, so a replay cannot be ruled out: retry once the one-time store (Redis) is reachable.',
    )
  }
  if (!first)
    return refuse(
      'replayed',
      'This signed request has been sent before (its nonce is used): sign every request anew, with a fresh nonce.',
    )
  return { ok: true, publicKey: input.sessionPublicKey, timestamp: fields.timestamp, nonce: fields.nonce }
}
