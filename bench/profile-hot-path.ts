/**
 * A CPU profile of the cold hot path (distinct tokens, one at a time), for the bench's closing
 * notes. Run under `node --cpu-prof`; bench/cases/profile.ts starts it and summarises the
 * profile: self time per function, counting only samples taken inside `hotPath`.
 */
import { createDynamicAuth } from '../src/index.js'
import { createTestIssuer } from '../src/testing/index.js'

const issuer = createTestIssuer()
const tokens = Array.from({ length: 2048 }, () => issuer.mint({}))
const auth = createDynamicAuth(issuer.authOptions())
await auth.verifyToken(tokens[0]!)

async function hotPath(rounds: number): Promise<void> {
  for (let r = 0; r < rounds; r++) for (const token of tokens) await auth.verifyToken(token)
}
await hotPath(Number(process.argv[2] ?? 8))
