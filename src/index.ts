/**
 * dynamic-guard: verify the JWTs Dynamic (dynamic.xyz) issues.
 *
 * @example
 * import { createDynamicAuth } from 'dynamic-guard'
 * const auth = createDynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! })
 * const session = await auth.verifyToken(token)
 *
 * @packageDocumentation
 */
export { createDynamicAuth } from './create.js'
export type { DynamicAuth, VerifyOptions } from './verifier.js'
export { defaultJwksUrl, type DynamicAuthOptions, type ResolvedOptions } from './options.js'
export type { DynamicAuthLogger } from './util/problem-log.js'
export {
  DynamicAuthError,
  DynamicAuthConfigError,
  ERROR_CODES,
  ERROR_STATUS,
  isDynamicAuthError,
  type DynamicAuthErrorCode,
  type DynamicAuthErrorDetails,
  type DynamicPendingStep,
} from './errors.js'
export type { DynamicSession, DynamicWallet } from './session/session.js'
export type {
  ChainName,
  DynamicAccessTokenClaims,
  DynamicTokenCommonClaims,
  DynamicIdTokenClaims,
  DynamicJwtClaims,
  JwtBlockchainAccount,
  JwtDeprecatedInfo,
  MissingField,
  NameServiceData,
  OAuthProvider,
  VerifiedCredential,
  VerifiedCredentialFormat,
  VerifiedCredentialsHashes,
  WalletAdditionalAddress,
  WalletAddressType,
  WalletProperties,
  WalletProvider,
} from './session/claims.js'
export { isAccessTokenClaims, isIdTokenClaims } from './session/claims.js'
export type { KeyStoreEvent, KeyStoreStatus } from './keys/key-store.js'
export type { JwksLoader, KeyEntry, KeyStore, KeyStoreContext, KeyStoreFactory, RemoteKeyStoreOptions } from './keys/key-store.js'
export {
  createMemoryRevocationStore,
  type MemoryRevocationStoreOptions,
  type RevocationEntry,
  type RevocationStatus,
  type RevocationStore,
  type RevocationSubject,
  type RevocationVerdict,
} from './revocation/index.js'
export type { SignatureBackend, RsaPublicJwk, PreparedKey } from './signature/backend.js'
export { webCryptoBackend } from './signature/webcrypto.js'
export { defaultIssuers } from './claims/issuer.js'
export { USER_BASIC, REQUIRES_ADDITIONAL_AUTH, USER_DATA_FORM, DEVICE_REGISTER } from './claims/scopes.js'
export { decodeUnverified } from './parse/compact-jws.js'
export { refusalFor, type Refusal, type RefusalBody, type RefusalOptions } from './http/refusal.js'
export type { AnonymousAllowed, AuthenticateOptions, RefusalHandling } from './http/options.js'
export { protectNodeHandler, type NodeResponseLike, type ProtectedNodeHandler } from './http/node.js'
export type { HttpRequestLike, NodeRequestLike, WebRequestLike } from './http/request.js'
export type { DynamicAuthHealth, HealthStatus, KeysHealth, RevocationHealth } from './health/health.js'
export { nodeHealthCheck, type HealthAnswer, type HealthCheckOptions, type HealthSource, type NodeHealthResponse } from './http/health.js'
export { METRICS as METRIC_NAMES, SPANS as SPAN_NAMES, ATTRIBUTES as TELEMETRY_ATTRIBUTES, type JwksFetchResult } from './observability/names.js'
export type { TelemetryOptions, TelemetrySetting } from './options.js'
export type { MeterProviderLike, TracerProviderLike } from './util/otel-types.js'
