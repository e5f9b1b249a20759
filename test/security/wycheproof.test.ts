/**
 * Wycheproof RSASSA-PKCS1-v1_5 / SHA-256 vectors (2048, 3072 and 4096 bits; Apache-2.0, see
 * test/data/wycheproof/) through the verifier's own signature path: the key goes through
 * acceptJwk, is imported by the signature backend, the signature must be exactly as long as the
 * modulus, then SignatureBackend.verifyRs256 decides. Every invalid vector must be refused and
 * every valid one accepted.
 *
 * Two deliberate readings of the labels:
 * - `acceptable` (one per file, flag MissingNull: a DigestInfo without the NULL parameters) is a
 *   legacy encoding Wycheproof allows either way; we require it to be refused, since accepting it
 *   would mean a lenient (ASN.1-parsing) verifier.
 * - Groups whose key has e = 3 (flag SmallPublicKey) are refused at key acceptance (e must exceed
 *   2^16), so their valid vectors are refused too. To still prove the crypto layer right on them,
 *   those vectors are also run through the backend directly, where valid ones must verify.
 * The default backend (node:crypto) runs every vector. The WebCrypto backend encodes the signing
 * input as UTF-8, as it only ever receives ASCII (the parser admits nothing else), so it runs the
 * vectors whose message is ASCII.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { acceptJwk, nodeBackend, webCryptoBackend } from './subject.js'

interface Vector {
  tcId: number
  comment: string
  flags: string[]
  msg: string
  sig: string
  result: 'valid' | 'invalid' | 'acceptable'
}
interface Group {
  keySize: number
  keyJwk: Record<string, unknown>
  tests: Vector[]
}

const FILES = [2048, 3072, 4096].map((bits) => `rsa_signature_${bits}_sha256_test.json`)
type Backend = typeof nodeBackend

/** The verifier's path for one signature: accept the key, import it, check the length, verify. */
async function verifyLikeTheVerifier(backend: Backend, group: Group, vector: Vector): Promise<boolean> {
  const accepted = acceptJwk(group.keyJwk)
  if ('rejected' in accepted) return false
  const key = await backend.importRsaPublicKey(accepted.jwk)
  const signature = Buffer.from(vector.sig, 'hex')
  if (signature.length !== accepted.modulusBytes) return false
  // The verifier's signing input is an ASCII string; latin1 carries arbitrary message bytes 1:1.
  return backend.verifyRs256(key, Buffer.from(vector.msg, 'hex').toString('latin1'), signature)
}

/** The backend alone, with no key policy (only for the e = 3 groups). */
async function verifyRaw(backend: Backend, group: Group, vector: Vector): Promise<boolean> {
  const { n, e } = group.keyJwk as { n: string; e: string }
  const key = await backend.importRsaPublicKey({ kty: 'RSA', n, e })
  try {
    return await backend.verifyRs256(
      key,
      Buffer.from(vector.msg, 'hex').toString('latin1'),
      Buffer.from(vector.sig, 'hex'),
    )
  } catch {
    return false
  }
}

for (const file of FILES) {
  const data = JSON.parse(readFileSync(new URL(`../data/wycheproof/${file}`, import.meta.url), 'utf8')) as {
    testGroups: Group[]
    numberOfTests: number
  }
  describe(`Wycheproof ${file}`, () => {
    for (const backend of [nodeBackend, webCryptoBackend] as Backend[]) {
      it(`${backend.name}: every invalid vector refused, every valid one accepted`, async (t) => {
        const tally = { valid: 0, invalid: 0, acceptable: 0, keyRefused: 0, skipped: 0 }
        let total = 0
        for (const group of data.testGroups) {
          const keyAccepted = !('rejected' in acceptJwk(group.keyJwk))
          const e = String((group.keyJwk as { e: string }).e)
          if (!keyAccepted) assert.equal(e, 'Aw', `only e = 3 keys may be refused, not ${e}`)
          for (const vector of group.tests) {
            total++
            if (backend === webCryptoBackend && Buffer.from(vector.msg, 'hex').some((b) => b > 0x7f)) {
              tally.skipped++
              continue
            }
            const label = `tcId ${vector.tcId} (${vector.result}; ${vector.flags.join(',') || 'no flags'}; ${vector.comment})`
            const ours = await verifyLikeTheVerifier(backend, group, vector)
            if (vector.result === 'valid' && keyAccepted) assert.equal(ours, true, `refused valid ${label}`)
            else assert.equal(ours, false, `accepted ${label}`)
            if (!keyAccepted) {
              tally.keyRefused++
              const raw = await verifyRaw(backend, group, vector)
              if (vector.result === 'valid') assert.equal(raw, true, `backend refused valid ${label}`)
              else assert.equal(raw, false, `backend accepted ${label}`)
            }
            tally[vector.result]++
          }
        }
        assert.equal(total, data.numberOfTests)
        if (backend === nodeBackend)
          assert.ok(
            tally.skipped === 0 && tally.valid >= 7 && tally.invalid >= 249 && tally.acceptable === 1,
            JSON.stringify(tally),
          )
        else assert.ok(tally.valid + tally.invalid + tally.acceptable > total / 2, JSON.stringify(tally))
        t.diagnostic(`${file} ${backend.name}: ${JSON.stringify(tally)}`)
      })
    }
  })
}
