/**
 * Every case `npm run bench` runs, in order. To add one, add one line here: a BenchCase object,
 * or `scriptCase(id, title, 'bench/<file>.ts')` for a standalone script (see lib/script-case.ts).
 */
import type { BenchCase } from '../lib/types.js'
import { scriptCase } from '../lib/script-case.js'
import {
  cold,
  coldStart,
  inFlight64,
  loneAfterBurst,
  refuseBadSignature,
  refuseExpired,
  refuseMalformed,
  rsa2048,
  warm,
} from './library.js'
import { burst } from './burst.js'
import { memory } from './memory.js'
import { http } from './http.js'
import { profile } from './profile.js'
import { observability } from './observability.js'
import { fileURLToPath } from 'node:url'

/** The active LTS line, installed by `npm ci --prefix runtimes`; this process runs the oldest supported one. */
const NODE24 = fileURLToPath(new URL('../../runtimes/node_modules/node24/bin/node', import.meta.url))

export const CASES: readonly BenchCase[] = [
  cold,
  inFlight64,
  // The same two headline cases on Node 24, right after this Node's, so that both see the same machine.
  scriptCase(
    'headline-node24',
    'The headline on Node 24 (active LTS): RSA-4096, cold, one at a time and 64 in flight',
    'bench/headline-node.ts',
    600_000,
    NODE24,
  ),
  loneAfterBurst,
  warm,
  refuseBadSignature,
  refuseExpired,
  refuseMalformed,
  coldStart,
  rsa2048,
  memory,
  http,
  burst,
  observability,
  scriptCase(
    'revocation-overhead',
    'Warm path with the Redis revocation store on vs off',
    'bench/revocation-overhead.ts',
  ),
  scriptCase('runtimes', 'verify/s per runtime: Node 20, Node 22, Bun, Deno, workerd', 'bench/runtimes.ts', 240_000),
  profile,
]
