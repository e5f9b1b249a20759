/**
 * The test kit's key generation (src/testing/key-pool.ts) never deadlocks its process.
 *
 * Key objects straight from Node's generateKeyPairSync share a lock with the generation job; the
 * job's clean-up, when a garbage collection finds it, takes that lock, and `publicKey.export()`
 * holds it while it allocates. A collection inside the export then blocks the main thread for good
 * (`dynamic-guard dev` hung that way before its ready line: main thread in ~KeyGenJob, waiting on
 * the lock). Here a child process makes collections land at every point of a key's generation and
 * export: before each key it fills V8's young space to a little less than full, a margin that
 * grows by 64 bytes a key (the space is 1 MB and every collection is a full one:
 * --max-semi-space-size=1 --gc-global). The old generation deadlocked at a margin of about 9 KB
 * (Node 20), and the guard below killed the child. It must now finish.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createPublicKey, sign, verify } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { drawKeyPair } from '../../src/testing/key-pool.js'
import { describeChild, reportFlags } from '../cli/hang-report.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
/** Margins swept: 0 to 20 KB short of a full young space, 64 bytes apart (one key each). */
const STEP = 64
const SPAN = 20_480
const KEYS = SPAN / STEP + 1
/** A hang guard, not a timing: the child needs seconds; a deadlocked one would never end. */
const GUARD_MS = 120_000

describe('key pool', () => {
  test('a drawn key signs, and its published n and e verify the signature', () => {
    const key = drawKeyPair(2048, new Set(), true)
    const data = Buffer.from('signed by the test kit')
    const signature = sign('sha256', data, key.privateKey)
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: key.n, e: key.e }, format: 'jwk' })
    assert.ok(verify('sha256', data, publicKey, signature))
    assert.equal(key.e, 'AQAB')
  })

  test(`drawing ${KEYS} fresh keys with a garbage collection at every point of their making does not deadlock`, async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'dynamic-guard-key-pool-'))
    const pool = pathToFileURL(join(root, 'src/testing/key-pool.ts')).href
    // Arrays of known size (32 + 16 + 8n bytes) fill the young space up to `margin` bytes short of full.
    const script = `import { getHeapSpaceStatistics } from 'node:v8'
import { drawKeyPair } from ${JSON.stringify(pool)}
let kept
for (let margin = 0; margin <= ${SPAN}; margin += ${STEP}) {
  let left = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_available_size - margin
  const filler = []
  while (left > 65536) { filler.push(new Array(8000)); left -= 32 + 16 + 8 * 8000 }
  if (left > 56) kept = new Array(Math.floor((left - 48) / 8))
  drawKeyPair(1024, new Set(), true)
}
process.stdout.write('drew ${KEYS} keys\\n')`
    const child = spawn(
      process.execPath,
      [
        '--gc-global',
        '--max-semi-space-size=1',
        '--no-allocation-site-pretenuring',
        ...reportFlags(reportDir),
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    let hung: string | undefined
    const guard = setTimeout(() => {
      void describeChild(child.pid, reportDir).then((state) => {
        hung = state
        child.kill('SIGKILL')
      })
    }, GUARD_MS)
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    clearTimeout(guard)
    rmSync(reportDir, { recursive: true, force: true })
    assert.equal(hung, undefined, `the child did not finish in ${GUARD_MS / 1000} s, so it was killed:\n${hung}`)
    assert.equal(code, 0, stderr)
    assert.equal(stdout, `drew ${KEYS} keys\n`)
  })
})
