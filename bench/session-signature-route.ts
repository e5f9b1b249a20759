/**
 * What `requireSessionSignature()` adds to a guarded route, per request: the same route with and
 * without it, the token already verified and cached (the warm path), each request carrying a
 * fresh signature (signed beforehand, outside the timing). Medians of interleaved rounds, in µs:
 *
 *   fetch            dynamic-guard/fetch in process: withDynamicAuth(handler) vs requireSessionSignature()(handler)
 *   express (HTTP)   Express on 127.0.0.1, one keep-alive connection: dynamicAuth vs dynamicAuth + requireSessionSignature
 *
 * The difference is one ECDSA P-256 verification, one SHA-256 of the body and one claim in the
 * in-memory one-time store. Not part of `npm run bench`.
 *
 *   node --import tsx bench/session-signature-route.ts
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import express from 'express'
import { createDynamicAuth } from '../src/index.js'
import * as expressAdapter from '../src/adapters/express.js'
import * as fetchAdapter from '../src/adapters/fetch.js'
import { createTestIssuer, TEST_SESSION_KEY } from '../src/testing/index.js'
import { jwkSessionSigner, signRequest } from '../src/session-key/client.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 500)
const body = JSON.stringify({ amount: '10.5', to: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F' })
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const issuer = createTestIssuer()
const auth = createDynamicAuth(issuer.authOptions())
const token = issuer.mint()
await auth.verifyToken(token)
const signer = await jwkSessionSigner(TEST_SESSION_KEY.privateKeyJwk)

/** `count` proof headers for `url`, each with its own nonce. */
const proofs = (url: string, count: number) =>
  Promise.all(
    Array.from(
      { length: count },
      async () => (await signRequest({ method: 'POST', url, body }, signer))['x-session-signature']!,
    ),
  )

async function timed(count: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++) await run(i)
  return Number(process.hrtime.bigint() - start) / 1000 / count
}

// ---- in process, through the Fetch adapter ----
const handler = async (request: Request) => new Response(await request.text())
const plain = fetchAdapter.withDynamicAuth(handler, auth)
const signed = fetchAdapter.requireSessionSignature()(handler, auth)
const fetchUrl = 'https://api.example/api/transfers?account=main'
const webRequest = (proof?: string) =>
  new Request(fetchUrl, {
    method: 'POST',
    body,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(proof ? { 'x-session-signature': proof } : {}),
    },
  })

// ---- over HTTP, through Express ----
const app = express()
const keep = express.json({
  verify: (req, _res, bytes) => {
    ;(req as typeof req & { rawBody?: Buffer }).rawBody = bytes
  },
})
app.post('/plain', keep, expressAdapter.dynamicAuth(auth), (_req, res) => res.json({ ok: true }))
app.post('/signed', keep, expressAdapter.dynamicAuth(auth), expressAdapter.requireSessionSignature(), (_req, res) =>
  res.json({ ok: true }),
)
const server = createServer(app)
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const post = async (path: string, proof?: string) => {
  const response = await fetch(`${origin}${path}`, {
    method: 'POST',
    body,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(proof ? { 'x-session-signature': proof } : {}),
    },
  })
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`)
  await response.arrayBuffer()
}

const results: Record<string, number[]> = {
  'fetch, guard only': [],
  'fetch, guard + proof': [],
  'express over HTTP, guard only': [],
  'express over HTTP, guard + proof': [],
}
// Warm-up: JIT, the key import, the connection.
for (const proof of await proofs(fetchUrl, 50)) await signed(webRequest(proof))
for (const proof of await proofs(`${origin}/signed`, 50)) await post('/signed', proof)
for (let round = 0; round < ROUNDS; round++) {
  const fetchProofs = await proofs(fetchUrl, PER_ROUND)
  const httpProofs = await proofs(`${origin}/signed`, PER_ROUND)
  results['fetch, guard only']!.push(await timed(PER_ROUND, () => plain(webRequest())))
  results['fetch, guard + proof']!.push(await timed(PER_ROUND, (i) => signed(webRequest(fetchProofs[i]))))
  results['express over HTTP, guard only']!.push(await timed(PER_ROUND, () => post('/plain')))
  results['express over HTTP, guard + proof']!.push(await timed(PER_ROUND, (i) => post('/signed', httpProofs[i])))
}
server.closeAllConnections()
server.close()

const load = loadavg().map((value) => value.toFixed(2))
console.log(
  `Node ${process.versions.node}, ${ROUNDS} rounds of ${PER_ROUND} requests, load average ${load.join(' ')} (1, 5, 15 min)`,
)
console.log('| case | µs per request (median) |')
console.log('|---|---|')
for (const [name, values] of Object.entries(results)) console.log(`| ${name} | ${median(values).toFixed(1)} |`)
const extra = (a: string, b: string) => (median(results[b]!) - median(results[a]!)).toFixed(1)
console.log(
  `\nThe proof adds ${extra('fetch, guard only', 'fetch, guard + proof')} µs in process and ${extra('express over HTTP, guard only', 'express over HTTP, guard + proof')} µs over HTTP.`,
)
