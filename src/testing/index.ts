/**
 * dynamic-guard/testing: test a protected API without Dynamic's servers.
 *
 * @example In-process, no port:
 * const issuer = createTestIssuer()
 * const auth = createDynamicAuth(issuer.authOptions())
 * const session = await auth.verifyToken(issuer.mint())
 * await auth.verifyToken(issuer.mint({ mfaPending: true })) // rejects: insufficient_scope
 *
 * @example Over HTTP, the JWKS at Dynamic's path on 127.0.0.1:
 * const server = await issuer.listen()
 * const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwks: { url: server.jwksUrl } })
 * await server.close()
 *
 * @example Dynamic's own client against the emulator, in Node (see `dynamicClientConfig`):
 * const server = await issuer.listen({ otpCode: '123456' })
 * const client = createDynamicClient(dynamicClientConfig(server)) // from '@dynamic-labs-sdk/client'
 * await initializeClient(client)
 * await verifyOTP({ otpVerification: await sendEmailOTP({ email: 'ada@example.com' }, client), verificationToken: '123456' }, client)
 *
 * @packageDocumentation
 */
export { createTestIssuer, type TestIssuer } from './issuer.js'
export {
  DEFAULT_TEST_KEY_BITS,
  OTHER_ENVIRONMENT_ID,
  TEST_ENVIRONMENT_ID,
  TEST_USER_ID,
  type MintOptions,
  type TestIssuerCore,
  type TestIssuerOptions,
} from './test-issuer.js'
export type { TestIssuerListenOptions, TestIssuerServer } from './emulator-server.js'
export {
  createMemoryKeychain,
  createMemoryStorageAdapter,
  dynamicClientConfig,
  INFORMATION_FIELDS,
  type DynamicClientConfigForEmulator,
  type DynamicEmulator,
  type EmulatorEventName,
  type EmulatorOptions,
  type EmulatorOtp,
  type EmulatorSmsOtp,
  type EmulatorSessionInfo,
  type EmulatorWebhookOptions,
  type InformationField,
  type MemoryKeychain,
  type MemoryStorageAdapter,
  type SessionObject,
  type WebhookDelivery,
} from './emulator/index.js'
export type { SignInCredential, SignInResult, SignInUser } from './sign-in.js'
export { defaultCredentials, type TestProfile } from './claims.js'
export {
  announceEip6963,
  createTestSolanaWallet,
  createTestWallet,
  eip1193WalletProvider,
  Eip1193Error,
  solanaWalletProvider,
  TEST_WALLET_ICON,
  type Eip1193Provider,
  type Eip1193WalletProvider,
  type Eip6963ProviderInfo,
  type Eip6963Window,
  type SolanaTestWalletProvider,
  type TestSolanaWallet,
  type TestWalletProviderBase,
  type TestWallet,
  type TestWalletOptions,
} from './test-wallet.js'
export {
  createTestEnvironments,
  TEST_LIVE_ENVIRONMENT_ID,
  type EnvironmentName,
  type TestEnvironment,
  type TestEnvironmentOptions,
  type TestEnvironments,
  type TestEnvironmentServer,
  type TestEnvironmentsServer,
} from './environments.js'
export { TEST_SESSION_KEY } from './session-key.js'
export type { SessionKeyPair } from '../session-key/agent.js'
export {
  ELEVATED_TOKEN_LIFETIME,
  TOKEN_SCOPES,
  type ElevatedMintOptions,
  type ElevatedTokenBehavior,
  type TokenScope,
} from './step-up.js'
export type { ElevatedTokenSetting, EmulatorStepUpOptions } from './emulator/index.js'
