/**
 * WebCrypto backend, for runtimes without node:crypto. Keys are imported once as CryptoKeys.
 */
import type { PreparedKey, RsaPublicJwk, SignatureBackend } from './backend.js'

const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const
const ascii = new TextEncoder()

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available in this runtime.')
  return s
}

/** The WebCrypto {@link SignatureBackend}. */
export const webCryptoBackend: SignatureBackend = {
  name: 'webcrypto',

  importRsaPublicKey(jwk: RsaPublicJwk): Promise<PreparedKey> {
    return subtle().importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e }, RS256, false, ['verify'])
  },

  verifyRs256(key: PreparedKey, signingInput: string, signature: Uint8Array): Promise<boolean> {
    return subtle().verify(
      RS256,
      key as CryptoKey,
      signature as BufferSource,
      ascii.encode(signingInput) as BufferSource,
    )
  },
}
