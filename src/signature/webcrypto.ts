/**
 * WebCrypto backend, for runtimes without node:crypto. Keys are imported once as CryptoKeys.
 */
import type { PreparedKey, RsaPublicJwk, SignatureBackend } from './backend.js'
import { decodeBase64url } from '../parse/base64url.js'

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

  async pemToJwk(pem: string): Promise<RsaPublicJwk> {
    const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '')
    if (/-----/.test(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, ''))) {
      throw new TypeError('With WebCrypto, publicKey must be an SPKI PEM ("BEGIN PUBLIC KEY").')
    }
    const der = decodeBase64url(body.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))
    if (!der) throw new TypeError('publicKey is not a valid PEM.')
    const key = await subtle().importKey('spki', der as BufferSource, RS256, true, ['verify'])
    const jwk = await subtle().exportKey('jwk', key)
    return { kty: 'RSA', n: String(jwk.n), e: String(jwk.e) }
  },

  verifyRs256(key: PreparedKey, signingInput: string, signature: Uint8Array): Promise<boolean> {
    return subtle().verify(RS256, key as CryptoKey, signature as BufferSource, ascii.encode(signingInput) as BufferSource)
  },
}

