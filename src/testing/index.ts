/**
 * dynamic-guard/testing: test a protected API without Dynamic's servers.
 *
 * @example
 * const issuer = createTestIssuer()
 * const auth = createDynamicAuth(issuer.authOptions())
 * const session = await auth.verifyToken(issuer.mint())
 *
 * @packageDocumentation
 */
export {
  createTestIssuer,
  TEST_ENVIRONMENT_ID,
  TEST_USER_ID,
  type MintOptions,
  type TestIssuer,
  type TestIssuerOptions,
  type TestIssuerServer,
} from './test-issuer.js'
export { defaultCredentials } from './claims.js'
