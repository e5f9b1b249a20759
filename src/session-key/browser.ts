/**
 * The browser side: sign requests to your backend with the session key that Dynamic's client
 * (`@dynamic-labs-sdk/client`) made at sign-in. The key is non-extractable and lives in the
 * client's keychain (IndexedDB); we only ask the keychain to sign, the way Dynamic's own
 * `getSignedSessionId` does. Its public half is what the token carries as `session_public_key`.
 */
import { signRequest, type RequestToSign, type SessionKeySigner, type SignRequestOptions } from './sign.js'

/**
 * What we need of Dynamic's client core (`getCore(client)` from `@dynamic-labs-sdk/client/core`):
 * its keychain. Structural, so that this package does not depend on Dynamic's client.
 */
export interface DynamicClientCore {
  /** The client's keychain, which holds the session key (non-extractable, in IndexedDB). */
  readonly keychain: {
    /** Signs `message` with the key named `keyName`: raw `r‖s` ECDSA P-256 / SHA-256, as hex. */
    sign(keyName: string, message: string): Promise<string>
  }
}

/** The name Dynamic's client gives its session key in the keychain. */
export const DYNAMIC_SESSION_KEY_NAME = 'session'

/**
 * A signer backed by Dynamic's client keychain.
 *
 * @example
 * import { getCore } from '@dynamic-labs-sdk/client/core'
 * const signer = dynamicSessionSigner(getCore(client))
 * const body = JSON.stringify({ amount: '10' })
 * const headers = await signRequest({ method: 'POST', url: '/api/withdraw', body }, signer)
 * await fetch('/api/withdraw', { method: 'POST', body, headers: { ...headers, authorization: `Bearer ${client.token}` } })
 */
export function dynamicSessionSigner(core: DynamicClientCore): SessionKeySigner {
  return (message) => core.keychain.sign(DYNAMIC_SESSION_KEY_NAME, message)
}

/** The `init` of {@link fetchWithSessionKey}: `fetch`'s, with a body it can hash and the token to send. */
export type FetchWithSessionKeyInit = Omit<RequestInit, 'body'> & {
  /** The body, sent exactly as signed: a string or bytes (a stream or form cannot be hashed before it is sent). */
  body?: string | Uint8Array | null
  /** The session token, sent as `Authorization: Bearer <token>` when given. */
  token?: string | null
}

/**
 * `fetch` with the session-key proof (and the bearer token, when given) added. The body must be
 * a string, bytes or absent: a stream or form cannot be hashed before it is sent.
 */
export async function fetchWithSessionKey(
  core: DynamicClientCore,
  url: string,
  init: FetchWithSessionKeyInit = {},
  options: SignRequestOptions = {},
): Promise<Response> {
  const { token, ...rest } = init
  const method = (rest.method ?? 'GET').toUpperCase()
  const target = new URL(url, (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost')
  const proof = await signRequest(
    { method, url: target, body: rest.body ?? null } satisfies RequestToSign,
    dynamicSessionSigner(core),
    options,
  )
  const headers = new Headers(rest.headers)
  for (const [name, value] of Object.entries(proof)) headers.set(name, value)
  if (token) headers.set('authorization', `Bearer ${token}`)
  return fetch(target, { ...rest, method, headers, body: rest.body ?? null } as RequestInit)
}
