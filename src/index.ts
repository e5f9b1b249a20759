/**
 * dynamic-guard: verify the JWTs Dynamic (dynamic.xyz) issues. What an application needs: the
 * verifier, its options, the session, the errors and their codes, the claims a handler reads and
 * the scope names. Framework adapters are subpaths (`dynamic-guard/express`, ...); extension points
 * are in `dynamic-guard/extend`, telemetry and health in `dynamic-guard/telemetry`.
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
export type { ElevatedGrant, ElevatedTokenClaims, ElevatedTokenOptions } from './elevated/grant.js'
export type { DynamicAuthOptions, JwksOptions, StaticKeys, AdvancedOptions } from './options.js'
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
export { USER_BASIC, REQUIRES_ADDITIONAL_AUTH, USER_DATA_FORM, DEVICE_REGISTER } from './claims/scopes.js'
