/**
 * The agent side (Node, or any server runtime): a session key held as a private JWK, as Dynamic's
 * server SDK for agents hands it out (`generateSessionKeyPair` answers `{ publicKeyHex,
 * privateKeyJwk }`); the agent gives `publicKeyHex` at its headless sign-in so that the token
 * carries it as `session_public_key`, then signs its requests to your backend with the JWK.
 */
import { compressPoint, fromBase64urlCoordinate, toHex } from './encoding.js'
import type { SessionKeySigner } from './sign.js'

const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const

/** A session key pair in Dynamic's agent format. */
export interface SessionKeyPair {
  /** The compressed public key (33 bytes) as 66 lowercase hex characters. */
  readonly publicKeyHex: string
  /** The private key as a JWK (`kty: EC`, `crv: P-256`, `d`, `x`, `y`). Keep it in a secrets vault. */
  readonly privateKeyJwk: JsonWebKey
}

/** The compressed public key hex of a P-256 JWK (public or private). */
export function publicKeyHexOf(jwk: JsonWebKey): string {
  const x = fromBase64urlCoordinate(jwk.x)
  const y = fromBase64urlCoordinate(jwk.y)
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !x || !y)
    throw new TypeError('The session key must be a P-256 JWK (kty "EC", crv "P-256", with x and y).')
  return toHex(compressPoint({ x, y }))
}

/** Makes a session key pair, in the format of Dynamic's `generateSessionKeyPair`. */
export async function generateSessionKeyPair(): Promise<SessionKeyPair> {
  const pair = (await crypto.subtle.generateKey(P256, true, ['sign', 'verify'])) as CryptoKeyPair
  const privateKeyJwk = await crypto.subtle.exportKey('jwk', pair.privateKey)
  return { publicKeyHex: publicKeyHexOf(privateKeyJwk), privateKeyJwk }
}

/** A signer over a private P-256 JWK: raw `r‖s` as lowercase hex, like Dynamic's keychain. */
export async function jwkSessionSigner(privateKeyJwk: JsonWebKey): Promise<SessionKeySigner> {
  if (typeof privateKeyJwk.d !== 'string') throw new TypeError('The session key JWK has no private part ("d").')
  publicKeyHexOf(privateKeyJwk)
  const key = await crypto.subtle.importKey('jwk', privateKeyJwk, P256, false, ['sign'])
  return async (message) =>
    toHex(
      new Uint8Array(
        await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new TextEncoder().encode(message)),
      ),
    )
}
