/**
 * dynamic-guard/extend: the extension points of `createDynamicAuth`. Key stores and JWKS loaders
 * (`jwks.keyStore`), signature backends (`advanced.signatureBackend`, WebCrypto among them), revocation stores
 * (`revocation`, the in-process one among them), one-time stores (`oneTimeStore`, the in-process
 * one among them), and the helpers that build on them.
 *
 * @example
 * import { createDynamicAuth } from 'dynamic-guard'
 * import { webCryptoBackend } from 'dynamic-guard/extend'
 * const auth = createDynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID!, advanced: { signatureBackend: webCryptoBackend } })
 *
 * @packageDocumentation
 */
export type {
  JwksLoader,
  KeyEntry,
  KeyStore,
  KeyStoreContext,
  KeyStoreEvent,
  KeyStoreFactory,
  KeyStoreStatus,
  RemoteKeyStoreOptions,
} from './keys/key-store.js'
export type { PreparedKey, RsaPublicJwk, SignatureBackend } from './signature/backend.js'
export { webCryptoBackend } from './signature/webcrypto.js'
export {
  createMemoryRevocationStore,
  type MemoryRevocationStoreOptions,
  type RevocationEntry,
  type RevocationStatus,
  type RevocationStore,
  type RevocationSubject,
  type RevocationVerdict,
} from './revocation/index.js'
export { defaultJwksUrl } from './options.js'
export { defaultIssuers } from './claims/issuer.js'
export { decodeUnverified } from './parse/compact-jws.js'
export {
  createMemoryOneTimeStore,
  type MemoryOneTimeStoreOptions,
  type OneTimeStore,
} from './one-time/index.js'
