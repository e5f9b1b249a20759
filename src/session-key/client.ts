/**
 * dynamic-guard/session-key: sign requests with Dynamic's session key, for routes that require
 * proof of possession (`requireSessionSignature()` of the adapters). Browser-safe (WebCrypto
 * only): in the page, through Dynamic's client keychain; in an agent, with a private JWK. The
 * protocol is specified in the session-key guide.
 *
 * @example In the browser, with Dynamic's client:
 * import { getCore } from '@dynamic-labs-sdk/client/core'
 * import { fetchWithSessionKey } from 'dynamic-guard/session-key'
 *
 * const response = await fetchWithSessionKey(getCore(client), '/api/withdrawals', {
 *   method: 'POST',
 *   body: JSON.stringify({ amount: '10' }),
 *   token: client.token,
 * })
 *
 * @example From an agent:
 * import { jwkSessionSigner, signRequest } from 'dynamic-guard/session-key'
 *
 * const headers = await signRequest({ method: 'GET', url: 'https://api.example.com/v1/me' }, await jwkSessionSigner(privateKeyJwk))
 *
 * @packageDocumentation
 */
export { SESSION_SIGNATURE_HEADER } from './canonical.js'
export { newNonce, signRequest, type RequestToSign, type SessionKeySigner, type SignRequestOptions } from './sign.js'
export {
  DYNAMIC_SESSION_KEY_NAME,
  dynamicSessionSigner,
  fetchWithSessionKey,
  type DynamicClientCore,
  type FetchWithSessionKeyInit,
} from './browser.js'
export { generateSessionKeyPair, jwkSessionSigner, publicKeyHexOf, type SessionKeyPair } from './agent.js'
