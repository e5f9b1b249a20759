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
 * const auth = createDynamicAuth({ environmentId: issuer.environmentId, jwksUrl: server.jwksUrl })
 * await server.close()
 *
 * @packageDocumentation
 */
export {
  createTestIssuer,
  OTHER_ENVIRONMENT_ID,
  TEST_ENVIRONMENT_ID,
  TEST_USER_ID,
  type MintOptions,
  type TestIssuer,
  type TestIssuerOptions,
} from './test-issuer.js'
export type { StandInListenOptions, TestIssuerServer } from './stand-in-server.js'
export type { SignInCredential, SignInResult, SignInUser } from './sign-in.js'
export { defaultCredentials, type TestProfile } from './claims.js'
