/**
 * Turns a JWKS `keys` array into the verifier's key set: each JWK checked by {@link acceptJwk},
 * duplicate kids dropped (ambiguity is refused, not guessed), keys imported once. A key already
 * imported with the same kid, n and e is reused, so its identity survives refreshes.
 */
import { acceptJwk } from './jwk.js'
import type { PreparedKey, SignatureBackend } from '../signature/backend.js'

/** A trusted, imported verification key. */
export interface KeyEntry {
  /** The key id (`kid`) of the JWK, if it had one. */
  readonly kid: string | undefined
  /** The key, prepared by the signature backend. */
  readonly key: PreparedKey
  /** An RS256 signature under this key is exactly this many bytes. */
  readonly modulusBytes: number
  /** `n.e`, to recognise the same key across refreshes. */
  readonly fingerprint: string
}

/** Why a JWK was left out. */
export interface RejectedKey {
  /** The key id of the JWK left out, if it had one. */
  readonly kid: string | undefined
  /** Why it was left out, in one sentence. */
  readonly reason: string
}

/** The outcome of reading one JWKS document. */
export interface ImportedKeySet {
  readonly keys: Map<string, KeyEntry>
  readonly rejected: RejectedKey[]
}

/** Validates and imports the JWKs of a set; reuses entries of `previous` when unchanged. */
export async function importKeySet(
  jwks: readonly unknown[],
  backend: SignatureBackend,
  previous?: ReadonlyMap<string, KeyEntry>,
): Promise<ImportedKeySet> {
  const rejected: RejectedKey[] = []
  const accepted = new Map<string, { jwk: { kty: 'RSA'; n: string; e: string }; modulusBytes: number }>()
  const duplicated = new Set<string>()
  for (const candidate of jwks) {
    const result = acceptJwk(candidate)
    const kid =
      typeof (candidate as { kid?: unknown })?.kid === 'string' ? (candidate as { kid: string }).kid : undefined
    if ('rejected' in result) {
      // A key we cannot use is skipped, but its kid still counts for duplicate detection.
      if (kid !== undefined && accepted.has(kid)) duplicated.add(kid)
      rejected.push({ kid, reason: result.rejected })
      continue
    }
    if (result.kid === undefined) {
      rejected.push({ kid: undefined, reason: 'has no kid, so no token can select it' })
      continue
    }
    if (accepted.has(result.kid) || rejected.some((r) => r.kid === result.kid)) {
      duplicated.add(result.kid)
      continue
    }
    accepted.set(result.kid, { jwk: result.jwk, modulusBytes: result.modulusBytes })
  }
  for (const kid of duplicated) {
    accepted.delete(kid)
    rejected.push({ kid, reason: 'appears more than once in the JWKS; an ambiguous kid is not trusted' })
  }
  const keys = new Map<string, KeyEntry>()
  for (const [kid, { jwk, modulusBytes }] of accepted) {
    const fingerprint = `${jwk.n}.${jwk.e}`
    const reused = previous?.get(kid)
    if (reused && reused.fingerprint === fingerprint) {
      keys.set(kid, reused)
      continue
    }
    try {
      keys.set(kid, { kid, key: await backend.importRsaPublicKey(jwk), modulusBytes, fingerprint })
    } catch (cause) {
      rejected.push({ kid, reason: `could not be imported (${(cause as Error).message})` })
    }
  }
  return { keys, rejected }
}
