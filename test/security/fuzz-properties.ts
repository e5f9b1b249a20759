/**
 * The fuzzing properties, shared by the seeded test (fuzz.test.ts, a few thousand cases) and the
 * long run (scripts/fuzz.ts). Each property holds for every input fast-check can generate:
 *
 * - mutated: any mutation of a valid token (bit flips, edits, swapped or duplicated parts,
 *   re-encodings, re-serialised or altered claims) is refused with a DynamicAuthError;
 * - strings: arbitrary strings, token-shaped or not, are refused with a DynamicAuthError, never
 *   another exception;
 * - values: arbitrary non-string values likewise;
 * - signed: validly signed tokens with arbitrary claims are either refused with a
 *   DynamicAuthError or accepted only when every claim rule holds.
 */
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { createDynamicAuth, isDynamicAuthError, TEST_ENVIRONMENT_ID, type DynamicAuth } from './subject.js'
import { b64u, claimsFor, fixedClock, NOW, publishedJwk, rsaPair, signRaw, signToken } from './toolkit.js'

const ENV = TEST_ENVIRONMENT_ID
const KID = 'fuzz-kid'
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const ERROR_CODE = /^[a-z_]+$/

export interface FuzzTarget {
  readonly name: string
  readonly property: fc.IAsyncPropertyWithHooks<never> | fc.IAsyncProperty<never>
  /** Share of the run count this property gets. */
  readonly weight: number
  /** Outcomes seen, for properties where both are expected (so the property is not vacuous). */
  readonly outcomes?: { accepted: number; refused: number }
}

/** Expects a refusal; returns nothing, throws (fails the property) otherwise. */
async function mustRefuse(auth: DynamicAuth, input: unknown): Promise<void> {
  let session: unknown
  try {
    session = await auth.verifyToken(input as string)
  } catch (error) {
    assert.ok(isDynamicAuthError(error), `not a DynamicAuthError: ${String(error)}`)
    const e = error as { code: string; message: string }
    assert.match(e.code, ERROR_CODE)
    if (typeof input === 'string' && input.length > 16)
      assert.ok(!e.message.includes(input), 'the message holds the token')
    return
  }
  assert.fail(`accepted: ${JSON.stringify(session).slice(0, 200)}`)
}

type Mutation = (token: string) => string

function mutations(): fc.Arbitrary<Mutation> {
  const index = fc.nat()
  const at = (token: string, i: number): number => i % token.length
  const part = fc.integer({ min: 0, max: 2 })
  const parts = (token: string): [string, string, string] => token.split('.') as [string, string, string]
  return fc.oneof(
    // Flip one bit of one character.
    fc.tuple(index, fc.integer({ min: 0, max: 15 })).map(
      ([i, bit]): Mutation =>
        (t) => {
          const k = at(t, i)
          return t.slice(0, k) + String.fromCharCode(t.charCodeAt(k) ^ (1 << bit)) + t.slice(k + 1)
        },
    ),
    // Replace one character by another of the base64url alphabet (or a dot).
    fc.tuple(index, fc.constantFrom(...`${ALPHABET}.`)).map(
      ([i, c]): Mutation =>
        (t) => {
          const k = at(t, i)
          return t.slice(0, k) + c + t.slice(k + 1)
        },
    ),
    // Delete a range.
    fc.tuple(index, fc.integer({ min: 1, max: 8 })).map(
      ([i, n]): Mutation =>
        (t) => {
          const k = at(t, i)
          return t.slice(0, k) + t.slice(k + n)
        },
    ),
    // Insert anything.
    fc.tuple(index, fc.string({ minLength: 1, maxLength: 4, unit: 'binary' })).map(
      ([i, s]): Mutation =>
        (t) => {
          const k = at(t, i)
          return t.slice(0, k) + s + t.slice(k)
        },
    ),
    // Swap, drop or duplicate parts.
    fc.constantFrom<Mutation>(
      (t) => {
        const [h, p, s] = parts(t)
        return `${p}.${h}.${s}`
      },
      (t) => {
        const [h, p, s] = parts(t)
        return `${h}.${s}.${p}`
      },
      (t) => {
        const [h, , s] = parts(t)
        return `${h}.${h}.${s}`
      },
      (t) => {
        const [, p, s] = parts(t)
        return `${p}.${p}.${s}`
      },
      (t) => {
        const [h, p] = parts(t)
        return `${h}.${p}.${h}`
      },
      (t) => {
        const [h, p] = parts(t)
        return `${h}.${p}`
      },
      (t) => `${t}.`,
      (t) => `.${t}`,
      (t) => `${t}.${parts(t)[2]}`,
    ),
    // Re-encode one part: padding, standard alphabet, whitespace, case, non-canonical final bits.
    fc.tuple(part, fc.constantFrom('pad', 'std', 'space', 'upper', 'lower', 'bits', 'percent')).map(
      ([n, how]): Mutation =>
        (t) => {
          const ps = parts(t)
          const s = ps[n]!
          let out = s
          if (how === 'pad') out = s + '='.repeat((4 - (s.length % 4)) % 4 || 2)
          if (how === 'std') out = s.replace(/-/g, '+').replace(/_/g, '/') + (/[-_]/.test(s) ? '' : '=')
          if (how === 'space') out = `${s.slice(0, 5)} ${s.slice(5)}`
          if (how === 'upper') out = s.toUpperCase()
          if (how === 'lower') out = s.toLowerCase()
          if (how === 'bits') out = s.slice(0, -1) + ALPHABET[(ALPHABET.indexOf(s.at(-1)!) ^ 1) & 63]
          if (how === 'percent') out = `${s.slice(0, 3)}%${s.charCodeAt(3).toString(16)}${s.slice(4)}`
          ps[n] = out
          return ps.join('.')
        },
    ),
    // Flip one bit of the decoded bytes of one part and re-encode canonically.
    fc.tuple(part, index, fc.integer({ min: 0, max: 7 })).map(
      ([n, i, bit]): Mutation =>
        (t) => {
          const ps = parts(t)
          const bytes = Buffer.from(ps[n]!, 'base64url')
          bytes[i % bytes.length]! ^= 1 << bit
          ps[n] = b64u(bytes)
          return ps.join('.')
        },
    ),
    // Re-serialise the payload (same claims, other bytes), or change one claim, keeping the signature.
    fc.tuple(fc.constantFrom('spaces', 'reorder', 'escape'), fc.constant(0)).map(
      ([how]): Mutation =>
        (t) => {
          const ps = parts(t)
          const claims = JSON.parse(Buffer.from(ps[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
          let text = JSON.stringify(claims)
          if (how === 'spaces') text = JSON.stringify(claims, null, 1)
          if (how === 'reorder') text = JSON.stringify(Object.fromEntries(Object.entries(claims).reverse()))
          if (how === 'escape') text = text.replace('"sub"', '"s\\u0075b"')
          ps[1] = b64u(text)
          return ps.join('.')
        },
    ),
    fc
      .tuple(
        fc.constantFrom('sub', 'scope', 'iss', 'exp', 'environment_id', 'aud', 'admin'),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(
        ([name, value]): Mutation =>
          (t) => {
            const ps = parts(t)
            const claims = JSON.parse(Buffer.from(ps[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
            claims[name] = value
            ps[1] = b64u(JSON.stringify(claims))
            return ps.join('.')
          },
      ),
  )
}

/** Builds the verifier, a valid token and the properties. */
export function fuzzTargets(): FuzzTarget[] {
  // 2048 bits, for speed only: the properties sign a token per run (thousands of runs), and what
  // they probe (parsing, claims, algorithm handling) does not depend on the key size.
  const pair = rsaPair(2048)
  const auth = createDynamicAuth({
    environmentId: ENV,
    staticKeys: { jwks: { keys: [publishedJwk(pair, KID)] } },
    advanced: { clock: fixedClock },
  })
  const header = { alg: 'RS256', kid: KID, typ: 'JWT' }
  const valid = signToken('RS256', pair.privateKey, header, claimsFor(ENV, { note: '\u00ff>?' }))

  const mutated = fc.asyncProperty(fc.array(mutations(), { minLength: 1, maxLength: 3 }), async (chain) => {
    let token = valid
    for (const mutate of chain) {
      try {
        token = mutate(token)
      } catch {
        // This mutation does not apply to what earlier ones left (a payload no longer JSON, say).
      }
    }
    if (token === valid) return // the chain undid itself
    await mustRefuse(auth, token)
  })

  const segment = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 60 })
  const jsonSegment = fc.jsonValue({ maxDepth: 3 }).map((v) => b64u(JSON.stringify(v) ?? 'null'))
  const strings = fc.asyncProperty(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: fc.constantFrom(...`${ALPHABET}.=+/ \t\n%`), maxLength: 400 }),
      fc
        .tuple(
          fc.oneof(segment, jsonSegment),
          fc.oneof(segment, jsonSegment),
          fc.oneof(segment, fc.constant(valid.split('.')[2]!)),
        )
        .map((ps) => ps.join('.')),
      fc
        .tuple(
          fc.record(
            {
              alg: fc.oneof(fc.constantFrom('RS256', 'none', 'HS256', 'rs256'), fc.jsonValue()),
              kid: fc.oneof(fc.constant(KID), fc.jsonValue()),
            },
            { requiredKeys: [] },
          ),
          jsonSegment,
          segment,
        )
        .map(([h, p, s]) => `${b64u(JSON.stringify(h))}.${p}.${s}`),
      fc.array(segment, { minLength: 0, maxLength: 8 }).map((ps) => ps.join('.')),
    ),
    (input) => mustRefuse(auth, input),
  )

  const values = fc.asyncProperty(
    fc
      .anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withNullPrototype: true,
      })
      .filter((v) => typeof v !== 'string'),
    (input) => mustRefuse(auth, input),
  )

  const nearMiss = {
    iss: fc.constantFrom(
      `app.dynamicauth.com/${ENV}`,
      `app.dynamic.xyz/${ENV}`,
      `app.dynamicauth.com/${ENV}/`,
      `https://app.dynamic.xyz/${ENV}`,
      'app.dynamicauth.com/11111111-2222-4333-8444-555555555555',
    ),
    scope: fc.oneof(
      fc.constantFrom(
        'user:basic',
        'user:basic wallet:sign',
        'user:basic2',
        'USER:BASIC',
        'xuser:basic',
        'user:basic\u00a0x',
        'requiresAdditionalAuth',
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    exp: fc.oneof(
      fc.constant(NOW + 3600),
      fc.integer({ min: NOW - 10, max: NOW + 10 }),
      fc.double(),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    environment_id: fc.constantFrom(ENV, ENV.toUpperCase(), '11111111-2222-4333-8444-555555555555', undefined),
    sub: fc.oneof(fc.constant('user-1'), fc.jsonValue({ maxDepth: 1 })),
  }
  const outcomes = { accepted: 0, refused: 0 }
  const signed = fc.asyncProperty(
    fc.record(nearMiss, { requiredKeys: [] }),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    async (overrides, extra) => {
      const claims = { ...extra, ...claimsFor(ENV), ...overrides }
      const json = JSON.stringify(claims)
      const token = signRaw('RS256', pair.privateKey, JSON.stringify(header), json)
      let session: { claims: Record<string, unknown>; scopes: readonly string[] }
      try {
        session = (await auth.verifyToken(token)) as unknown as typeof session
      } catch (error) {
        assert.ok(isDynamicAuthError(error), `not a DynamicAuthError: ${String(error)}`)
        outcomes.refused++
        return
      }
      outcomes.accepted++
      // Accepted: every rule must hold for the claims actually signed.
      const signedClaims = JSON.parse(json) as Record<string, unknown>
      assert.ok([`app.dynamicauth.com/${ENV}`, `app.dynamic.xyz/${ENV}`].includes(signedClaims.iss as string), 'iss')
      assert.ok(signedClaims.environment_id === undefined || signedClaims.environment_id === ENV, 'environment_id')
      assert.ok(typeof signedClaims.exp === 'number' && signedClaims.exp + 5 > NOW, 'exp')
      assert.ok(typeof signedClaims.sub === 'string' && signedClaims.sub.length > 0, 'sub')
      assert.ok(typeof signedClaims.scope === 'string' && signedClaims.scope.split(' ').includes('user:basic'), 'scope')
      assert.deepEqual(session.claims, signedClaims)
    },
  )

  return [
    { name: 'any mutation of a valid token is refused', property: mutated as FuzzTarget['property'], weight: 0.5 },
    {
      name: 'arbitrary strings are refused with a DynamicAuthError',
      property: strings as FuzzTarget['property'],
      weight: 0.3,
    },
    {
      name: 'arbitrary non-string values are refused with a DynamicAuthError',
      property: values as FuzzTarget['property'],
      weight: 0.1,
    },
    {
      name: 'signed tokens with arbitrary claims pass only when every rule holds',
      property: signed as FuzzTarget['property'],
      weight: 0.1,
      outcomes,
    },
  ]
}
