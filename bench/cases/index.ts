/**
 * Every case `npm run bench` runs, in order. To add one, add one line here: a BenchCase object,
 * or `scriptCase(id, title, 'bench/<file>.ts')` for a standalone script (see lib/script-case.ts).
 */
import type { BenchCase } from '../lib/types.js'
import { scriptCase } from '../lib/script-case.js'
import { cold, coldStart, inFlight64, refuseBadSignature, refuseExpired, refuseMalformed, warm } from './library.js'
import { memory } from './memory.js'
import { http } from './http.js'
import { profile } from './profile.js'

export const CASES: readonly BenchCase[] = [
  cold,
  inFlight64,
  warm,
  refuseBadSignature,
  refuseExpired,
  refuseMalformed,
  coldStart,
  memory,
  http,
  scriptCase('revocation-overhead', 'Warm path with the Redis revocation store on vs off', 'bench/revocation-overhead.ts'),
  scriptCase('runtimes', 'verify/s per runtime: Node 20, Node 22, Bun, Deno, workerd', 'bench/runtimes.ts'),
  profile,
]
