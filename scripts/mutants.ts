/**
 * Proves the security tests can fail: copies src/ to a temporary directory, breaks one defence at
 * a time (a "mutant"), runs the security tests against the copy (test/security/subject.ts loads
 * the code from DYNAMIC_GUARD_SRC) and reports which tests caught each break. The checkout's own
 * src/ is never touched. Not part of `npm test`.
 *
 *   node --import tsx scripts/mutants.ts                # every mutant, the whole security suite
 *   node --import tsx scripts/mutants.ts accept-any-alg # some mutants only
 *
 * Exit status 1 when a mutant survives (no test failed) or a mutation no longer applies.
 */
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

interface Mutant {
  readonly name: string
  /** What the break does, in words. */
  readonly breaks: string
  readonly file: string
  readonly from: string
  readonly to: string
}

const MUTANTS: readonly Mutant[] = [
  {
    name: 'accept-any-alg',
    breaks: 'any alg reaches the RS256 check',
    file: 'verifier.ts',
    from: 'if (alg !== RS256) {',
    to: 'if (false) {',
  },
  {
    name: 'skip-kid-type-check',
    breaks: 'non-string, empty and huge kids are looked up',
    file: 'verifier.ts',
    from: "if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > 256)) {",
    to: 'if (false) {',
  },
  {
    name: 'skip-length-check',
    breaks: 'signatures of any length reach the backend',
    file: 'verifier.ts',
    from: 'if (parsed.signature.length !== key.modulusBytes) throw signatureInvalid()',
    to: '',
  },
  {
    name: 'ignore-signature',
    breaks: 'the signature verdict is ignored',
    file: 'verifier.ts',
    from: 'const valid = this.backend.verifyRs256(key.key, parsed.signingInput, parsed.signature)',
    to: 'const valid: boolean | Promise<boolean> = true',
  },
  {
    name: 'lenient-base64',
    breaks: "Buffer's lenient base64 decoder",
    file: 'parse/base64url.ts',
    from: 'if (!isCanonicalBase64url(text)) return undefined',
    to: '',
  },
  {
    name: 'follow-duplicate-members',
    breaks: 'duplicate JSON members allowed (last wins)',
    file: 'parse/strict-json.ts',
    from: 'if (top.has(name)) return',
    to: 'if (false) return',
  },
  {
    name: 'allow-proto-members',
    breaks: '"__proto__" members allowed',
    file: 'parse/strict-json.ts',
    from: "if (name === '__proto__') return",
    to: 'if (false) return',
  },
  {
    name: 'no-depth-limit',
    breaks: 'unbounded JSON nesting',
    file: 'parse/strict-json.ts',
    from: 'export const MAX_JSON_DEPTH = 32',
    to: 'export const MAX_JSON_DEPTH = 1e9',
  },
  {
    name: 'follow-key-headers',
    breaks: 'jwk/jku/x5u/x5c headers tolerated',
    file: 'parse/compact-jws.ts',
    from: "const KEY_POINTING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const",
    to: 'const KEY_POINTING_HEADERS = [] as string[]',
  },
  {
    name: 'allow-crit',
    breaks: 'crit headers tolerated',
    file: 'parse/compact-jws.ts',
    from: "if (Object.hasOwn(header, 'crit')) {",
    to: 'if (false) {',
  },
  {
    name: 'allow-short-keys',
    breaks: 'RSA keys under 2048 bits trusted',
    file: 'keys/jwk.ts',
    from: 'if (bits < MIN_RSA_BITS) return',
    to: 'if (false) return',
  },
  {
    name: 'allow-small-exponent',
    breaks: 'e = 1 and e = 3 trusted',
    file: 'keys/jwk.ts',
    from: 'if (exponent.length < 3) return',
    to: 'if (false) return',
  },
  {
    name: 'ignore-key-use',
    breaks: 'use: enc keys trusted',
    file: 'keys/jwk.ts',
    from: "if (use !== undefined && use !== 'sig') return",
    to: 'if (false) return',
  },
  {
    name: 'first-duplicate-kid-wins',
    breaks: 'the first of two keys under one kid is trusted',
    file: 'keys/key-set.ts',
    from: 'accepted.delete(kid)',
    to: 'void kid',
  },
  {
    name: 'no-unknown-kid-cooldown',
    breaks: 'every unknown kid refetches the JWKS',
    file: 'keys/key-store.ts',
    from: 'now - this.lastUnknownKidFetchAt >= this.options.cooldownMs',
    to: 'true',
  },
  {
    name: 'empty-jwks-replaces-keys',
    breaks: 'a JWKS without usable keys replaces the good ones',
    file: 'keys/key-store.ts',
    from: 'if (keys.size === 0) {',
    to: 'if (false) {',
  },
  {
    name: 'follow-redirects',
    breaks: 'JWKS redirects followed',
    file: 'keys/fetch-jwks.ts',
    from: "redirect: 'manual',",
    to: "redirect: 'follow',",
  },
  {
    name: 'no-fetch-timeout',
    breaks: 'JWKS requests never time out',
    file: 'keys/fetch-jwks.ts',
    from: 'setTimeout(() => controller.abort(), limits.timeoutMs)',
    to: 'setTimeout(() => undefined, limits.timeoutMs)',
  },
  {
    name: 'no-body-cap',
    breaks: 'JWKS bodies read whatever their size',
    file: 'keys/fetch-jwks.ts',
    from: 'if (total > maxBytes) {',
    to: 'if (false) {',
  },
  {
    name: 'skip-scope-check',
    breaks: 'user:basic not required',
    file: 'claims/scopes.ts',
    from: 'if (!missing) return',
    to: 'return',
  },
  {
    name: 'substring-scope-match',
    breaks: 'scopes matched as substrings',
    file: 'claims/scopes.ts',
    from: 'if (!scopes.includes(scope))',
    to: 'if (!scopes.some((s) => s.includes(scope)))',
  },
  {
    name: 'whitespace-scope-split',
    breaks: 'scopes split on any whitespace (NBSP, tab)',
    file: 'claims/scopes.ts',
    from: 'scope.split(SEPARATOR)',
    to: 'scope.split(/\\s+/)',
  },
  {
    name: 'exp-optional',
    breaks: 'tokens without exp accepted',
    file: 'claims/time.ts',
    from: "if (exp === undefined) throw new DynamicAuthError('token_malformed',",
    to: "if (exp === undefined) return Number.MAX_SAFE_INTEGER; if (exp === null) throw new DynamicAuthError('token_malformed',",
  },
  {
    name: 'coerce-time-claims',
    breaks: 'time claims coerced with Number()',
    file: 'claims/time.ts',
    from: "return typeof value === 'number' && Number.isFinite(value) && value >= 0",
    to: 'return Number.isFinite(Number(value))',
  },
  {
    name: 'no-max-lifetime',
    breaks: 'exp in milliseconds accepted',
    file: 'claims/time.ts',
    from: 'if (exp > now + maxLifetime + tolerance) {',
    to: 'if (false) {',
  },
  {
    name: 'issuer-prefix-match',
    breaks: 'iss matched by prefix',
    file: 'claims/issuer.ts',
    from: '!issuers.includes(iss)',
    to: '!issuers.some((i) => iss.startsWith(i))',
  },
  {
    name: 'skip-environment-check',
    breaks: 'environment_id not compared',
    file: 'claims/issuer.ts',
    from: 'const otherEnvironment = environment !== undefined && environment !== environmentId',
    to: 'const otherEnvironment = false',
  },
  {
    name: 'audience-prefix-match',
    breaks: 'aud matched by prefix',
    file: 'claims/audience.ts',
    from: "typeof aud === 'string' ? audiences.includes(aud)",
    to: "typeof aud === 'string' ? audiences.some((a) => aud.startsWith(a))",
  },
  {
    name: 'http-first-authorization-wins',
    breaks: 'the first of two Authorization fields is used',
    file: 'http/request.ts',
    from: "if (name === 'authorization' && value !== undefined) return allFields(request, name) ?? (typeof value === 'string' ? value : value[0])",
    to: '',
  },
  {
    name: 'http-no-csrf-check',
    breaks: 'cookie tokens authorize any method from any origin',
    file: 'http/authenticate.ts',
    from: 'if (isSafeMethod(method)) return verified',
    to: 'return verified',
  },
  {
    name: 'http-query-tokens-by-default',
    breaks: 'access_token query parameter read by default',
    file: 'http/options.ts',
    from: 'queryParam = false,',
    to: "queryParam = 'access_token',",
  },
  {
    name: 'http-stack-in-body',
    breaks: 'refusal bodies carry the stack',
    file: 'http/refusal.ts',
    from: 'error_description: description, code }',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the replacement is source text, a template in it.
    to: 'error_description: `${description} ${new Error().stack}`, code }',
  },
  {
    name: 'http-commas-in-bearer',
    breaks: 'a Bearer token may contain commas',
    file: 'http/extract.ts',
    from: 'code === 44 ||',
    to: '',
  },
  {
    name: 'http-preflights-pass',
    breaks: 'preflight-shaped requests reach the app unauthenticated',
    file: 'http/guard.ts',
    from: 'options.passPreflights ? GO_ON : ANSWER_PREFLIGHT',
    to: 'GO_ON',
  },
  {
    name: 'http-refusals-forwarded-by-default',
    breaks: "refusals go to the framework's error handling (HTML, text) unless answered",
    file: 'http/options.ts',
    from: "refusals = 'respond',",
    to: "refusals = 'forward',",
  },
]

const root = resolve(import.meta.dirname, '..')
const only = process.argv.slice(2)
const selected = only.length > 0 ? MUTANTS.filter((m) => only.includes(m.name)) : MUTANTS
const testFiles = readdirSync(join(root, 'test/security'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test/security', f))

/** A mutant can make a test hang (a JWKS request that never times out): the whole run is bounded. */
const RUN_LIMIT_MS = 6 * 60_000

function run(env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', '--test-timeout=60000', ...testFiles],
      { cwd: root, env, detached: true },
    )
    let output = ''
    const limit = setTimeout(() => {
      output += `\nnot ok 0 - the test run did not finish within ${RUN_LIMIT_MS / 60_000} minutes (a hang)\n`
      try {
        process.kill(-child.pid!, 'SIGKILL') // the runner and its test processes
      } catch {
        // already gone
      }
    }, RUN_LIMIT_MS)
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('close', (code) => {
      clearTimeout(limit)
      done({ code: code ?? 1, output })
    })
  })
}

/** The names of failing leaf tests in TAP output (a failing suite's "N subtests failed" lines are skipped). */
function failures(tap: string): string[] {
  const lines = tap.split('\n')
  const names: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const match = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]!)
    if (!match) continue
    const detail = lines.slice(i + 1, i + 8).join('\n')
    if (/subtests? failed/.test(detail)) continue
    names.push(match[2]!.trim())
  }
  return names
}

const work = mkdtempSync(join(tmpdir(), 'dynamic-guard-mutants-'))
let survived = 0
const rows: string[] = []
try {
  writeFileSync(join(work, 'package.json'), readFileSync(join(root, 'package.json')))
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir')
  // One snapshot of src/ for the whole run, so that edits made meanwhile cannot mix into it.
  const snapshot = join(work, 'base', 'src')
  cpSync(join(root, 'src'), snapshot, { recursive: true })
  console.log(`${selected.length} mutants; security tests: ${testFiles.length} files\n`)
  const baseline = await run({ ...process.env, DYNAMIC_GUARD_SRC: snapshot })
  const baselineFailures = failures(baseline.output)
  if (baseline.code !== 0) {
    console.log(`The security tests fail on the unmodified source (${baselineFailures.join('; ')}); fix that first.`)
    process.exit(2)
  }
  for (const mutant of selected) {
    const src = join(work, mutant.name, 'src')
    cpSync(snapshot, src, { recursive: true })
    const path = join(src, mutant.file)
    const text = readFileSync(path, 'utf8')
    const count = text.split(mutant.from).length - 1
    if (count !== 1) {
      survived++
      rows.push(
        `| ${mutant.name} | ${mutant.breaks} | NOT APPLIED (pattern found ${count} times in src/${mutant.file}) | |`,
      )
      console.log(`!! ${mutant.name}: pattern found ${count} times in src/${mutant.file}`)
      continue
    }
    writeFileSync(path, text.replace(mutant.from, mutant.to))
    const result = await run({ ...process.env, DYNAMIC_GUARD_SRC: src })
    const failed = failures(result.output)
    const killed = result.code !== 0 && failed.length > 0
    if (!killed) survived++
    const unique = [...new Set(failed)]
    const sample = unique.slice(0, 3).join('; ') + (unique.length > 3 ? `; … (${unique.length} distinct)` : '')
    rows.push(
      `| ${mutant.name} | ${mutant.breaks} | ${killed ? `caught by ${failed.length}` : 'SURVIVED'} | ${sample} |`,
    )
    console.log(
      `${killed ? 'caught  ' : 'SURVIVED'} ${mutant.name}: ${failed.length} failing test(s)${sample ? `: ${sample}` : ''}`,
    )
    rmSync(join(work, mutant.name), { recursive: true, force: true })
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

console.log(`\n| mutant | break | result | failing tests (first 3) |\n|---|---|---|---|\n${rows.join('\n')}`)
console.log(`\n${selected.length - survived} of ${selected.length} mutants caught.`)
process.exit(survived > 0 ? 1 : 0)
