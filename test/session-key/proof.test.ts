/**
 * The session-key proof: a request signed by the key in the token's `session_public_key`, checked
 * with WebCrypto. Keys are made the ways they are in practice: by WebCrypto as Dynamic's browser
 * keychain makes them (non-extractable, the public half compressed), by the testing kit's keychain
 * that Dynamic's client uses in Node, by an agent's JWK, and by node:crypto.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sign as nodeSign } from 'node:crypto'
import { generateKeyPair } from '../support/key-pair.js'
import {
  SESSION_KEY_REFUSAL_REASONS,
  SESSION_SIGNATURE_HEADER,
  canonicalString,
  createSessionKeyVerifier,
  dynamicSessionSigner,
  generateSessionKeyPair,
  jwkSessionSigner,
  parseSignatureHeader,
  signRequest,
  verifySessionKeyProof,
  type ReplayCheck,
  type SessionKeyProofInput,
  type SessionKeySigner,
  type SessionKeyVerdict,
} from '../../src/session-key/index.js'
import { compressPoint, fromHex, p256Point, toHex } from '../../src/session-key/encoding.js'
import { readFileSync } from 'node:fs'
import { createMemoryKeychain } from '../../src/testing/index.js'
import { TEST_SESSION_KEY } from '../../src/testing/session-key.js'

/** A replay check over a Map, as the one-time store will be. */
function memoryReplayCheck(): ReplayCheck & { readonly ids: Map<string, number> } {
  const ids = new Map<string, number>()
  return {
    ids,
    claim(id, expiresAt) {
      if (ids.has(id)) return false
      ids.set(id, expiresAt)
      return true
    },
  }
}

/** A key made as Dynamic's browser keychain makes it: WebCrypto, non-extractable, the public half compressed hex. */
async function browserKey(): Promise<{ publicKey: string; signer: SessionKeySigner }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ])) as CryptoKeyPair
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  // Dynamic's compressRawPublicKey: the first half of the raw point, prefix 2 | (last byte & 1).
  const compressed = raw.slice(0, 33)
  compressed[0] = 2 | (raw[64]! & 1)
  const signer: SessionKeySigner = async (message) =>
    toHex(
      new Uint8Array(
        await crypto.subtle.sign(
          { name: 'ECDSA', hash: { name: 'SHA-256' } },
          pair.privateKey,
          new TextEncoder().encode(message),
        ),
      ),
    )
  return { publicKey: toHex(compressed), signer }
}

const NOW = 1_800_000_000
const BODY = JSON.stringify({ to: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F', amount: '10.5' })
const REQUEST = { method: 'POST', url: 'https://api.example.com/v1/withdrawals?account=main&dry=0', body: BODY }

async function proofOf(
  signer: SessionKeySigner,
  request: { method: string; url: string; body?: string } = REQUEST,
  options: { now?: number; nonce?: string } = {},
): Promise<string> {
  const headers = await signRequest(request, signer, { now: NOW, ...options })
  return headers[SESSION_SIGNATURE_HEADER]!
}

function check(
  input: Partial<SessionKeyProofInput> & Pick<SessionKeyProofInput, 'header' | 'sessionPublicKey'>,
): Promise<SessionKeyVerdict> {
  return verifySessionKeyProof({ ...REQUEST, replayCheck: memoryReplayCheck(), now: NOW, ...input })
}

function assertRefused(verdict: SessionKeyVerdict, reason: string, label = reason): void {
  assert.equal(verdict.ok, false, `accepted: ${label}`)
  if (!verdict.ok) {
    assert.equal(verdict.reason, reason, `${label}: ${verdict.message}`)
    assert.ok(verdict.message.length > 20)
  }
}

describe('session-key proof', () => {
  it('accepts a request signed by a browser-made key (WebCrypto, non-extractable, compressed public half)', async () => {
    const { publicKey, signer } = await browserKey()
    assert.match(publicKey, /^0[23][0-9a-f]{64}$/)
    const verdict = await check({ header: await proofOf(signer), sessionPublicKey: publicKey })
    assert.equal(verdict.ok, true, verdict.ok ? '' : verdict.message)
    if (verdict.ok) assert.equal(verdict.publicKey, publicKey)
  })

  it("accepts a request signed through the keychain Dynamic's client uses (dynamicSessionSigner)", async () => {
    const keychain = createMemoryKeychain()
    const publicKey = await keychain.generateKey('session')
    const header = await proofOf(dynamicSessionSigner({ keychain }))
    assert.equal((await check({ header, sessionPublicKey: publicKey })).ok, true)
  })

  it("accepts an agent's JWK key (generateSessionKeyPair, jwkSessionSigner)", async () => {
    const { publicKeyHex, privateKeyJwk } = await generateSessionKeyPair()
    const header = await proofOf(await jwkSessionSigner(privateKeyJwk))
    assert.equal((await check({ header, sessionPublicKey: publicKeyHex })).ok, true)
  })

  it('accepts a signature made by node:crypto in IEEE P1363 form (raw r||s)', async () => {
    const { privateKey, publicKey } = generateKeyPair('ec', { namedCurve: 'P-256' })
    const jwk = publicKey.export({ format: 'jwk' })
    const point = { x: Buffer.from(jwk.x!, 'base64url'), y: Buffer.from(jwk.y!, 'base64url') }
    const signer: SessionKeySigner = async (message) =>
      nodeSign('sha256', Buffer.from(message), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('hex')
    const header = await proofOf(signer)
    assert.equal((await check({ header, sessionPublicKey: toHex(compressPoint(point)) })).ok, true)
    // The uncompressed form of the same key is accepted too.
    const uncompressed = `04${toHex(point.x)}${toHex(point.y)}`
    assert.equal((await check({ header, sessionPublicKey: uncompressed })).ok, true)
  })

  it('refuses the request once anything signed is altered: method, path, query, body, timestamp, nonce', async () => {
    const { publicKey, signer } = await browserKey()
    const header = await proofOf(signer)
    const fields = parseSignatureHeader(header)
    assert.ok(typeof fields !== 'string')
    const altered: Array<[string, Partial<SessionKeyProofInput>]> = [
      ['method', { method: 'PUT' }],
      ['path', { url: 'https://api.example.com/v1/withdrawal?account=main&dry=0' }],
      ['query value', { url: 'https://api.example.com/v1/withdrawals?account=main&dry=1' }],
      ['query order', { url: 'https://api.example.com/v1/withdrawals?dry=0&account=main' }],
      ['query dropped', { url: 'https://api.example.com/v1/withdrawals' }],
      ['body', { body: BODY.replace('10.5', '1000') }],
      ['body dropped', { body: null }],
      ['timestamp', { header: header.replace(`ts=${NOW}`, `ts=${NOW + 1}`) }],
      ['nonce', { header: header.replace(`nonce=${fields.nonce}`, `nonce=${fields.nonce.slice(1)}A`) }],
    ]
    for (const [what, change] of altered)
      assertRefused(await check({ header, sessionPublicKey: publicKey, ...change }), 'signature_invalid', what)
    // The host is not signed: the same path on another origin verifies (the replay check covers that case).
    assert.equal(
      (
        await check({
          header,
          sessionPublicKey: publicKey,
          url: 'http://127.0.0.1:3000/v1/withdrawals?account=main&dry=0',
        })
      ).ok,
      true,
    )
  })

  it('refuses a signature by another key: a token lifted from one session and presented with another key', async () => {
    const victim = await browserKey()
    const thief = await browserKey()
    assertRefused(
      await check({ header: await proofOf(thief.signer), sessionPublicKey: victim.publicKey }),
      'signature_invalid',
    )
  })

  it('refuses a replay through the hook, and claims the nonce only once the signature verifies', async () => {
    const { publicKey, signer } = await browserKey()
    const replayCheck = memoryReplayCheck()
    const header = await proofOf(signer)
    assert.equal(
      (await verifySessionKeyProof({ ...REQUEST, header, sessionPublicKey: publicKey, replayCheck, now: NOW })).ok,
      true,
    )
    assertRefused(
      await verifySessionKeyProof({ ...REQUEST, header, sessionPublicKey: publicKey, replayCheck, now: NOW + 5 }),
      'replayed',
    )
    // The claim lasts as long as the timestamp could still be accepted, and names key and nonce.
    const [id, expiresAt] = [...replayCheck.ids][0]!
    assert.equal(id, `session-key:${publicKey}:${(parseSignatureHeader(header) as { nonce: string }).nonce}`)
    assert.equal(expiresAt, NOW + 60)
    // A forged signature claims nothing.
    const other = await browserKey()
    await verifySessionKeyProof({
      ...REQUEST,
      header: await proofOf(other.signer),
      sessionPublicKey: publicKey,
      replayCheck,
      now: NOW,
    })
    assert.equal(replayCheck.ids.size, 1)
    // A fresh nonce for the same request is accepted.
    assert.equal(
      (
        await verifySessionKeyProof({
          ...REQUEST,
          header: await proofOf(signer),
          sessionPublicKey: publicKey,
          replayCheck,
          now: NOW,
        })
      ).ok,
      true,
    )
  })

  it('refuses when the replay check fails, since a replay cannot be ruled out', async () => {
    const { publicKey, signer } = await browserKey()
    const replayCheck: ReplayCheck = { claim: async () => Promise.reject(new Error('ECONNREFUSED')) }
    assertRefused(
      await verifySessionKeyProof({
        ...REQUEST,
        header: await proofOf(signer),
        sessionPublicKey: publicKey,
        replayCheck,
        now: NOW,
      }),
      'replay_check_unavailable',
    )
  })

  it('bounds the clock skew both ways (60 s by default, configurable up to 300 s)', async () => {
    const { publicKey, signer } = await browserKey()
    const header = await proofOf(signer)
    assert.equal((await check({ header, sessionPublicKey: publicKey, now: NOW + 60 })).ok, true)
    assert.equal((await check({ header, sessionPublicKey: publicKey, now: NOW - 60 })).ok, true)
    assertRefused(await check({ header, sessionPublicKey: publicKey, now: NOW + 61 }), 'timestamp_out_of_range')
    assertRefused(await check({ header, sessionPublicKey: publicKey, now: NOW - 61 }), 'timestamp_out_of_range')
    assert.equal((await check({ header, sessionPublicKey: publicKey, now: NOW + 200, maxSkewSeconds: 300 })).ok, true)
    assertRefused(
      await check({ header, sessionPublicKey: publicKey, now: NOW + 11, maxSkewSeconds: 10 }),
      'timestamp_out_of_range',
    )
    await assert.rejects(check({ header, sessionPublicKey: publicKey, maxSkewSeconds: 301 }), TypeError)
    await assert.rejects(check({ header, sessionPublicKey: publicKey, maxSkewSeconds: 0 }), TypeError)
  })

  it('refuses a missing or malformed header, and a token without a usable key', async () => {
    const { publicKey, signer } = await browserKey()
    const header = await proofOf(signer)
    for (const missing of [undefined, null, ''])
      assertRefused(await check({ header: missing, sessionPublicKey: publicKey }), 'signature_missing')
    const sig = (parseSignatureHeader(header) as { signature: string }).signature
    const malformed = [
      'Bearer x',
      header.replace('v=1', 'v=2'),
      header.replace(sig, sig.toUpperCase()),
      header.replace(sig, sig.slice(2)),
      header.replace(`ts=${NOW}`, `ts=${NOW}.5`),
      header.replace(`ts=${NOW}`, `ts=0${NOW}`),
      header.replace(/nonce=[^,]+/, 'nonce=short'),
      header.replace(/nonce=[^,]+/, 'nonce=has+plus/and=equalsxxxxxxx'),
      `${header}, v=1`,
      `${header}, extra=1`,
      header.replace(/, sig=.*/, ''),
    ]
    for (const value of malformed)
      assertRefused(await check({ header: value, sessionPublicKey: publicKey }), 'signature_malformed')
    assertRefused(await check({ header, sessionPublicKey: undefined }), 'key_missing')
    for (const bad of [
      42,
      '',
      'zz',
      publicKey.toUpperCase(),
      `04${publicKey.slice(2)}`,
      `02${'ff'.repeat(32)}`,
      publicKey.slice(0, 64),
    ]) {
      assertRefused(await check({ header, sessionPublicKey: bad }), 'key_malformed')
    }
  })

  it('signs a canonical string of six lines, starting with the protocol label', () => {
    const text = canonicalString(
      { method: 'post', target: '/a?b=1', bodyHash: '47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU' },
      { timestamp: NOW, nonce: 'AAAAAAAAAAAAAAAAAAAAAA' },
    )
    assert.equal(
      text,
      `dynamic-guard-session-signature/v1\nPOST\n/a?b=1\n47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n${NOW}\nAAAAAAAAAAAAAAAAAAAAAA`,
    )
  })

  it('verifies the example of the protocol page (docs/guide/session-key.md), string and header as printed there', async () => {
    const page = readFileSync(new URL('../../docs/guide/session-key.md', import.meta.url), 'utf8')
    const blocks = [...page.matchAll(/```text\n([\s\S]*?)\n```/g)].map((match) => match[1]!)
    const signed = blocks.find((block) => block.startsWith('dynamic-guard-session-signature/v1\nPOST'))!
    const header = blocks
      .find((block) => block.startsWith('x-session-signature: v=1, ts=1765015200'))!
      .slice('x-session-signature: '.length)
    const request = {
      method: 'POST',
      url: 'https://api.example.com/v1/withdrawals?account=main',
      body: '{"amount":"10.5","to":"0x71C7656EC7ab88b098defB751B7401B5f6d8976F"}',
    }
    assert.equal(
      canonicalString(
        { method: 'POST', target: '/v1/withdrawals?account=main', bodyHash: signed.split('\n')[3]! },
        { timestamp: 1765015200, nonce: 'q3Zb7n1XkUo2fWc9LrT0aA' },
      ),
      signed,
    )
    assert.ok(page.includes(TEST_SESSION_KEY.publicKeyHex))
    const verdict = await verifySessionKeyProof({
      ...request,
      header,
      sessionPublicKey: TEST_SESSION_KEY.publicKeyHex,
      replayCheck: memoryReplayCheck(),
      now: 1765015200,
    })
    assert.equal(verdict.ok, true, verdict.ok ? '' : verdict.message)
  })

  it('a verifier made once keeps its options and imported keys: the same checks, a clock of its own', async () => {
    const { publicKey, signer } = await browserKey()
    let clock = NOW
    const replayCheck = memoryReplayCheck()
    const verifier = createSessionKeyVerifier({ replayCheck, maxSkewSeconds: 30, now: () => clock })
    const first = await proofOf(signer)
    assert.equal((await verifier.verify({ ...REQUEST, header: first, sessionPublicKey: publicKey })).ok, true)
    assertRefused(await verifier.verify({ ...REQUEST, header: first, sessionPublicKey: publicKey }), 'replayed')
    assert.equal(
      (await verifier.verify({ ...REQUEST, header: await proofOf(signer), sessionPublicKey: publicKey })).ok,
      true,
      'the cached key verifies again',
    )
    assertRefused(
      await verifier.verify({ ...REQUEST, body: 'x', header: await proofOf(signer), sessionPublicKey: publicKey }),
      'signature_invalid',
    )
    clock = NOW + 31
    assertRefused(
      await verifier.verify({ ...REQUEST, header: await proofOf(signer), sessionPublicKey: publicKey }),
      'timestamp_out_of_range',
    )
    assertRefused(
      await verifier.verify({ ...REQUEST, header: await proofOf(signer), sessionPublicKey: 'zz' }),
      'key_malformed',
    )
    assert.throws(() => createSessionKeyVerifier({ replayCheck, maxSkewSeconds: 600 }), /maxSkewSeconds/)
    assert.throws(() => createSessionKeyVerifier({ replayCheck, keyCacheSize: 0 }), /keyCacheSize/)
    assert.throws(() => createSessionKeyVerifier({ replayCheck: {} as ReplayCheck }), /replayCheck/)
  })

  it('lists every refusal reason once', () => {
    assert.equal(new Set(SESSION_KEY_REFUSAL_REASONS).size, SESSION_KEY_REFUSAL_REASONS.length)
  })
})

describe('P-256 points', () => {
  it('decompresses what WebCrypto compresses, for both parities of y', async () => {
    const parities = new Set<number>()
    for (let i = 0; i < 24; i++) {
      const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
      ])) as CryptoKeyPair
      const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
      const point = p256Point(raw)!
      const compressed = compressPoint(point)
      parities.add(compressed[0]!)
      assert.deepEqual(p256Point(compressed), point)
      assert.deepEqual(fromHex(toHex(compressed)), compressed)
    }
    assert.deepEqual([...parities].sort(), [2, 3])
  })

  it('refuses x coordinates with no point on the curve', () => {
    let refused = 0
    for (let x = 1; x <= 40; x++) {
      const bytes = new Uint8Array(33)
      bytes[0] = 2
      bytes[32] = x
      if (p256Point(bytes) === undefined) refused++
    }
    // About half of all x have no point: a check that accepted everything would refuse none.
    assert.ok(refused > 5 && refused < 35, `refused ${refused}`)
  })
})
