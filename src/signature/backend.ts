/**
 * The crypto seam: everything the verifier needs from a crypto library, and nothing more.
 * `node.ts` implements it with node:crypto (fast synchronous verification); `webcrypto.ts` with
 * WebCrypto, for runtimes without node:crypto (Workers, Deno without Node compatibility).
 */

/** The public members of an RSA JWK that the verifier imports. */
export interface RsaPublicJwk {
  /** The key type: always `RSA`. */
  kty: 'RSA'
  /** The modulus, base64url. */
  n: string
  /** The public exponent, base64url. */
  e: string
}

/** A key as the backend prepared it; opaque to the verifier. */
export type PreparedKey = unknown

/** RS256 (RSASSA-PKCS1-v1_5 with SHA-256) verification over prepared keys. */
export interface SignatureBackend {
  /** A short name for diagnostics ("node:crypto", "webcrypto"). */
  readonly name: string
  /** Imports an RSA public key once, so that each verification reuses it. */
  importRsaPublicKey(jwk: RsaPublicJwk): PreparedKey | Promise<PreparedKey>
  /**
   * Verifies an RS256 signature over `signingInput` (ASCII). May answer synchronously; callers
   * must accept a boolean or a promise of one.
   */
  verifyRs256(key: PreparedKey, signingInput: string, signature: Uint8Array): boolean | Promise<boolean>
}
