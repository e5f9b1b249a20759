/**
 * What a session-key proof costs per request, against a cached warm token verification of the same
 * process (the baseline a guarded route already pays), median of several interleaved rounds:
 *
 *   token        createDynamicAuth().verifyToken on a cached token (the warm path)
 *   proof        a createSessionKeyVerifier verifier with the key already imported (a session's second request on)
 *   proof-cold   verifySessionKeyProof, which imports the key every time (decompress and import too)
 *   sign         signRequest with an agent's JWK (the client's side)
 *
 *   node --import tsx bench/session-key-cost.ts
 */
import { createDynamicAuth } from '../src/index.js'
import { createTestIssuer } from '../src/testing/index.js'
import {
  createSessionKeyVerifier,
  generateSessionKeyPair,
  jwkSessionSigner,
  signRequest,
  verifySessionKeyProof,
  type ReplayCheck,
} from '../src/session-key/index.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const PER_ROUND = 1000
const request = {
  method: 'POST',
  url: '/api/withdrawals?account=main',
  body: JSON.stringify({ amount: '10.5', to: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F' }),
}
const used = new Set<string>()
const replayCheck: ReplayCheck = {
  claim: (id) => {
    if (used.has(id)) return false
    used.add(id)
    return true
  },
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function perOp(run: (i: number) => Promise<unknown>, count = PER_ROUND): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) await run(i)
  return Number(process.hrtime.bigint() - start) / 1000 / count
}

const issuer = createTestIssuer()
const auth = createDynamicAuth(issuer.authOptions())
const token = issuer.mint()
await auth.verifyToken(token)
const { publicKeyHex, privateKeyJwk } = await generateSessionKeyPair()
const signer = await jwkSessionSigner(privateKeyJwk)
const verifier = createSessionKeyVerifier({ replayCheck })
const results: Record<string, number[]> = { token: [], proof: [], 'proof-cold': [], sign: [] }
for (let round = 0; round < ROUNDS; round++) {
  const headers = await Promise.all(
    Array.from({ length: PER_ROUND }, async () => (await signRequest(request, signer))['x-session-signature']),
  )
  const cold = await Promise.all(
    Array.from({ length: 100 }, async () => {
      const key = await generateSessionKeyPair()
      return {
        key: key.publicKeyHex,
        header: (await signRequest(request, await jwkSessionSigner(key.privateKeyJwk)))['x-session-signature'],
      }
    }),
  )
  results.token!.push(await perOp(() => auth.verifyToken(token)))
  results.proof!.push(
    await perOp((i) => verifier.verify({ ...request, header: headers[i], sessionPublicKey: publicKeyHex })),
  )
  results['proof-cold']!.push(
    await perOp(
      (i) =>
        verifySessionKeyProof({ ...request, header: cold[i]!.header, sessionPublicKey: cold[i]!.key, replayCheck }),
      cold.length,
    ),
  )
  results.sign!.push(await perOp(() => signRequest(request, signer)))
}
for (const [name, values] of Object.entries(results))
  console.log(`${name.padEnd(11)} ${median(values).toFixed(1).padStart(8)} µs per request (median of ${ROUNDS} rounds)`)
