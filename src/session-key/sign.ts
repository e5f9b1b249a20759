/**
 * Signing a request with a session key: the headers a client adds. Runtime-neutral (WebCrypto's
 * random values and digest); the key itself stays behind a {@link SessionKeySigner}, which is how
 * Dynamic's keychain keeps it (non-extractable in the browser, in a vault or KMS for an agent).
 */
import {
  SESSION_SIGNATURE_HEADER,
  bodyHash,
  canonicalString,
  formatSignatureHeader,
  requestTarget,
} from './canonical.js'
import { toBase64url } from './encoding.js'

/**
 * Signs a message with the session key: ECDSA P-256 with SHA-256 over the message's UTF-8 bytes,
 * answering the raw `r‖s` signature as 128 lowercase hex characters, exactly as Dynamic's
 * keychain `sign('session', message)` does.
 */
export type SessionKeySigner = (message: string) => Promise<string>

/** The request to sign. */
export interface RequestToSign {
  /** The HTTP method (signed upper-cased). */
  readonly method: string
  /** The URL the request goes to (a path is resolved against `http://localhost`: only path and query are signed). */
  readonly url: string | URL
  /** The body exactly as it will be sent; omit for none. */
  readonly body?: Uint8Array | ArrayBuffer | string | null
}

/** Options of {@link signRequest}, for tests mostly. */
export interface SignRequestOptions {
  /** Unix seconds. Default now. */
  readonly now?: number
  /** The one-time value. Default 16 random bytes in base64url (22 characters). */
  readonly nonce?: string
}

/** A fresh nonce: 16 random bytes, unpadded base64url. */
export function newNonce(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(16)))
}

/**
 * The headers that prove the request comes from the holder of the session key:
 * `{ 'x-session-signature': 'v=1, ts=…, nonce=…, sig=…' }`. Sign each request right before it is
 * sent, and send the body byte for byte as given here.
 */
export async function signRequest(
  request: RequestToSign,
  signer: SessionKeySigner,
  options: SignRequestOptions = {},
): Promise<Record<string, string>> {
  const timestamp = options.now ?? Math.floor(Date.now() / 1000)
  const nonce = options.nonce ?? newNonce()
  const message = canonicalString(
    { method: request.method, target: requestTarget(request.url), bodyHash: await bodyHash(request.body) },
    { timestamp, nonce },
  )
  const signature = (await signer(message)).toLowerCase()
  return { [SESSION_SIGNATURE_HEADER]: formatSignatureHeader({ timestamp, nonce, signature }) }
}
