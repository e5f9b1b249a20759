/**
 * The session-key checks a runtime runs on its own (bundled with the module, nothing else): an
 * agent key and a browser-style key (WebCrypto, non-extractable, compressed public half) sign,
 * the proofs verify, an altered body, another key, a replay and a skewed clock are refused, and
 * the example of the protocol page verifies. Answers a list of named outcomes.
 */
import {
  generateSessionKeyPair,
  jwkSessionSigner,
  signRequest,
  verifySessionKeyProof,
  type ReplayCheck,
  type SessionKeyVerdict,
} from '../../src/session-key/index.js'
import { toHex } from '../../src/session-key/encoding.js'

const DOC_KEY = '03790287411a6e47360124a4774bcb5fee4859b07dcc94a7429a6d16df105ae45c'
const DOC_HEADER =
  'v=1, ts=1765015200, nonce=q3Zb7n1XkUo2fWc9LrT0aA, sig=4fc81a635d59f149ab7ffcf0f1e14a6ecb1d7bb1f289d165b1d58edab56e00f85e887baf09e19fd8d9423ffabb0862a79ef36869b9744301f82ce245cf2e1fa3'
const DOC_BODY = '{"amount":"10.5","to":"0x71C7656EC7ab88b098defB751B7401B5f6d8976F"}'

export async function runSessionKeyChecks(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const used = new Set<string>()
  const replayCheck: ReplayCheck = {
    claim: (id) => {
      if (used.has(id)) return false
      used.add(id)
      return true
    },
  }
  const outcome = (verdict: SessionKeyVerdict): string => (verdict.ok ? 'ok' : verdict.reason)
  const request = { method: 'POST', url: 'https://api.example.com/v1/x?y=1', body: '{"a":1}' }

  const agent = await generateSessionKeyPair()
  const agentHeader = (await signRequest(request, await jwkSessionSigner(agent.privateKeyJwk)))['x-session-signature']
  out.agent = outcome(
    await verifySessionKeyProof({ ...request, header: agentHeader, sessionPublicKey: agent.publicKeyHex, replayCheck }),
  )
  out.replay = outcome(
    await verifySessionKeyProof({ ...request, header: agentHeader, sessionPublicKey: agent.publicKeyHex, replayCheck }),
  )

  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
    'sign',
  ])) as CryptoKeyPair
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  const compressed = raw.slice(0, 33)
  compressed[0] = 2 | (raw[64]! & 1)
  const browserSigner = async (message: string) =>
    toHex(
      new Uint8Array(
        await crypto.subtle.sign(
          { name: 'ECDSA', hash: 'SHA-256' },
          pair.privateKey,
          new TextEncoder().encode(message),
        ),
      ),
    )
  const browserHeader = (await signRequest(request, browserSigner))['x-session-signature']
  out.browser = outcome(
    await verifySessionKeyProof({
      ...request,
      header: browserHeader,
      sessionPublicKey: toHex(compressed),
      replayCheck,
    }),
  )
  out.alteredBody = outcome(
    await verifySessionKeyProof({
      ...request,
      body: '{"a":2}',
      header: browserHeader,
      sessionPublicKey: toHex(compressed),
      replayCheck,
    }),
  )
  out.otherKey = outcome(
    await verifySessionKeyProof({
      ...request,
      header: browserHeader,
      sessionPublicKey: agent.publicKeyHex,
      replayCheck,
    }),
  )
  out.skew = outcome(
    await verifySessionKeyProof({
      ...request,
      header: browserHeader,
      sessionPublicKey: toHex(compressed),
      replayCheck,
      now: Math.floor(Date.now() / 1000) + 120,
    }),
  )
  out.documented = outcome(
    await verifySessionKeyProof({
      method: 'POST',
      url: 'https://api.example.com/v1/withdrawals?account=main',
      body: DOC_BODY,
      header: DOC_HEADER,
      sessionPublicKey: DOC_KEY,
      replayCheck,
      now: 1765015200,
    }),
  )
  return out
}
