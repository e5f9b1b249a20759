/**
 * The test kit's session key: a fixed P-256 key pair (a test vector, trusted by nothing) whose
 * public half the kit's tokens carry as `session_public_key` unless told otherwise, so that a test
 * can sign requests for a default token with `jwkSessionSigner(TEST_SESSION_KEY.privateKeyJwk)`.
 */
import type { SessionKeyPair } from '../session-key/agent.js'

/** The session key default test tokens are bound to (Dynamic's agent format: compressed hex and a private JWK). */
export const TEST_SESSION_KEY: SessionKeyPair = Object.freeze({
  publicKeyHex: '03790287411a6e47360124a4774bcb5fee4859b07dcc94a7429a6d16df105ae45c',
  privateKeyJwk: Object.freeze({
    kty: 'EC',
    crv: 'P-256',
    x: 'eQKHQRpuRzYBJKR3S8tf7khZsH3MlKdCmm0W3xBa5Fw',
    y: 'qhye3mkuwVrChyekzhmWyZYV_TMIGlZtWrlKdH_D8rc',
    d: '_JXaXsIvmrf0tSt7buOFIhABw5dDKuLV17A-9tF68Dk',
  }),
})
