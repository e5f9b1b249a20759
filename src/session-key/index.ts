/**
 * Proof of possession of Dynamic's session key: a request signed by the key whose public half the
 * token carries (`session_public_key`), so that a leaked token alone is not enough. The protocol
 * is specified in docs/guide/session-key.md. Everything, for the package's own modules and tests;
 * the public subpath `dynamic-guard/session-key` is client.ts (the signing side only).
 */
export {
  SESSION_SIGNATURE_HEADER,
  CANONICAL_LABEL,
  bodyHash,
  canonicalString,
  formatSignatureHeader,
  parseSignatureHeader,
  requestTarget,
  type SessionSignatureFields,
  type SignedRequest,
} from './canonical.js'
export {
  DEFAULT_MAX_SKEW_SECONDS,
  MAX_SKEW_SECONDS,
  SESSION_KEY_REFUSAL_REASONS,
  createSessionKeyVerifier,
  verifySessionKeyProof,
  type SessionKeyRequest,
  type SessionKeyVerifier,
  type SessionKeyVerifierOptions,
  type ReplayCheck,
  type SessionKeyAcceptance,
  type SessionKeyProofInput,
  type SessionKeyRefusal,
  type SessionKeyRefusalReason,
  type SessionKeyVerdict,
} from './verify.js'
export { newNonce, signRequest, type RequestToSign, type SessionKeySigner, type SignRequestOptions } from './sign.js'
export {
  DYNAMIC_SESSION_KEY_NAME,
  dynamicSessionSigner,
  fetchWithSessionKey,
  type DynamicClientCore,
  type FetchWithSessionKeyInit,
} from './browser.js'
export { generateSessionKeyPair, jwkSessionSigner, publicKeyHexOf, type SessionKeyPair } from './agent.js'
