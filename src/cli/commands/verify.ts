/** `dynamic-guard verify <token | ->`: the library's verdict on one token, with the reason. */
import { readFile } from 'node:fs/promises'
import { createDynamicAuth } from '../../create.js'
import { DynamicAuthConfigError, isDynamicAuthError } from '../../errors.js'
import { acceptJwk } from '../../keys/jwk.js'
import { acceptRsaPublicKey, readRsaPublicKey } from '../../keys/public-key-pem.js'
import type { AdvancedOptions, DynamicAuthOptions, JwksOptions } from '../../options.js'
import type { DynamicSession } from '../../session/session.js'
import { humanTime, table } from '../format.js'
import {
  EXIT_ERROR,
  EXIT_OK,
  EXIT_REFUSED,
  UsageError,
  integerOption,
  parseCommandArgs,
  readTokenArgument,
  type Io,
} from '../usage.js'

export const verifyHelp = `Usage: dynamic-guard verify <token | -> [options]

Verifies a Dynamic access token or ID token exactly as createDynamicAuth does: strict parsing,
RS256 with a key from your environment's JWKS, expiry, issuer, environment, audience and the
scopes (user:basic always). Prints the verdict and the reason.

Options:
  --environment-id <uuid>   Your Dynamic environment (default: $DYNAMIC_ENVIRONMENT_ID). Required.
  --jwks-url <url>          Where the keys are (default: Dynamic's JWKS URL for the environment).
  --jwks-file <path>        Verify offline against a JWKS document saved to a file.
  --public-key <path>       Verify offline against the environment's RSA public key saved to a
                            file: PEM (SPKI or PKCS#1, any line layout) or the bare base64 body.
  --issuer <iss>            Accepted issuer; repeat for several (default: both Dynamic hosts).
  --audience <origin>       Require this aud; repeat for several (default: not checked).
  --scope <scope>           Require this scope on top of user:basic; repeat for several.
  --clock-tolerance <s>     Allowed clock skew in seconds (default 5).
  --at <time>               Check the token as of this time instead of now: an ISO 8601 date
                            (2026-11-01T12:00:00Z) or seconds since the epoch. For a token
                            from the past, to see whether it was valid then.
  --timeout <ms>            JWKS request timeout (default 5000).
  --json                    Print the verdict as JSON.
  -h, --help                This help.

"-" reads the token from stdin (one line; surrounding whitespace is dropped). Give the token
alone: a "Bearer " prefix or quotes are refused, with what to remove, as the library does.

Exit codes: 0 valid, 1 refused, 2 usage or network error (the keys could not be fetched, or the
key file is not a usable key).

Examples:
  dynamic-guard verify "$TOKEN" --environment-id 2762a57b-faa4-41ce-9f16-abff9300e2c9
  pbpaste | dynamic-guard verify - --environment-id $ENV_ID --scope wallet:export --json
`

function sessionSummary(session: DynamicSession) {
  return {
    userId: session.userId,
    sessionId: session.sessionId,
    environmentId: session.environmentId,
    tokenKind: session.tokenKind,
    scopes: [...session.scopes],
    email: session.email,
    walletAddresses: session.walletAddresses,
    issuedAt: session.issuedAt?.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
  }
}

export async function verifyCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    'environment-id': { type: 'string' },
    'jwks-url': { type: 'string' },
    'jwks-file': { type: 'string' },
    'public-key': { type: 'string' },
    issuer: { type: 'string', multiple: true },
    audience: { type: 'string', multiple: true },
    scope: { type: 'string', multiple: true },
    'clock-tolerance': { type: 'string' },
    at: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  })
  if (values.help) {
    io.stdout(verifyHelp)
    return EXIT_OK
  }
  const token = await readTokenArgument(positionals, io)
  const environmentId = values['environment-id'] ?? io.env.DYNAMIC_ENVIRONMENT_ID
  if (!environmentId) {
    throw new UsageError(
      '--environment-id is required (or set DYNAMIC_ENVIRONMENT_ID): a token is only valid for one environment, and the token itself cannot say which one you trust.',
    )
  }
  const sources = (['jwks-url', 'jwks-file', 'public-key'] as const).filter((name) => values[name] !== undefined)
  if (sources.length > 1)
    throw new UsageError(
      `give one key source of --jwks-url, --jwks-file and --public-key, not ${sources.length === 2 ? 'both' : 'all three'} (${sources.map((name) => `--${name}`).join(', ')}).`,
    )

  const jwks: JwksOptions = {}
  const advanced: AdvancedOptions = { tokenCacheSize: 0 }
  const options: DynamicAuthOptions = { environmentId, jwks, advanced }
  if (values['jwks-url']) jwks.url = values['jwks-url']
  if (values['jwks-file']) options.staticKeys = { jwks: await readJwksFile(values['jwks-file']) }
  if (values['public-key']) options.staticKeys = { publicKey: await readPublicKeyFile(values['public-key']) }
  if (values.issuer) options.issuer = values.issuer
  if (values.audience) options.audience = values.audience
  if (values.scope) options.requiredScopes = values.scope
  const tolerance = integerOption('clock-tolerance', values['clock-tolerance'], 0, 300)
  if (tolerance !== undefined) options.clockTolerance = tolerance
  jwks.timeout = integerOption('timeout', values.timeout, 1, 120000) ?? 5000
  const at = values.at === undefined ? undefined : parseTime(values.at)
  if (at !== undefined) advanced.clock = () => at

  let auth
  try {
    auth = createDynamicAuth(options)
  } catch (error) {
    if (error instanceof DynamicAuthConfigError) throw new UsageError(error.message.replace(/^dynamic-guard: /, ''))
    throw error
  }

  const now = (at ?? Date.now()) / 1000
  try {
    const session = await auth.verifyToken(token)
    if (values.json) {
      io.stdout(
        `${JSON.stringify({ valid: true, session: sessionSummary(session), claims: session.claims }, null, 2)}\n`,
      )
    } else {
      const rows: Array<[string, string]> = [
        ['user', session.userId],
        ['session', session.sessionId ?? '(none)'],
        ['environment', session.environmentId],
        ['token', session.tokenKind === 'id' ? 'ID token' : 'access token (minified JWT)'],
        ['scopes', session.scopes.join(' ') || '(none)'],
        ['expires', humanTime(session.claims.exp, now)],
      ]
      if (session.email) rows.push(['email', session.email])
      if (session.walletAddresses.length) rows.push(['wallets', session.walletAddresses.join(', ')])
      io.stdout(
        `${SIGNATURE_VALID}\nVALID  the token passed every check${at === undefined ? '' : ` as of ${new Date(at).toISOString()}`}\n${table(rows)}\n`,
      )
    }
    return EXIT_OK
  } catch (error) {
    if (!isDynamicAuthError(error)) throw error
    // No verdict either way: the keys could not be fetched, or the runtime could not use the key.
    const unavailable = error.code === 'jwks_unavailable' || error.code === 'key_unusable'
    if (values.json) {
      const body: Record<string, unknown> = { code: error.code, status: error.status, message: error.message }
      if (error.missingScopes) body.missingScopes = error.missingScopes
      if (error.retryAfter !== undefined) body.retryAfter = error.retryAfter
      // As every JSON answer of dynamic-guard: the sign-in step still pending, when there is one.
      if (error.pendingStep !== undefined) body.pending_step = error.pendingStep
      body.signature = signatureVerdict(error.code)
      io.stdout(`${JSON.stringify({ valid: false, error: body }, null, 2)}\n`)
    } else if (unavailable) {
      io.stderr(
        `dynamic-guard verify: ${error.code === 'key_unusable' ? 'could not use the key' : 'could not fetch the keys'}, so no verdict: ${error.message}\n`,
      )
    } else {
      const missing = error.missingScopes ? `\n  missing scopes: ${error.missingScopes.join(', ')}` : ''
      const pending = error.pendingStep !== undefined ? `\n  pending step: ${error.pendingStep}` : ''
      const signature = {
        valid: SIGNATURE_VALID,
        invalid: 'signature  INVALID',
        'not checked': 'signature  not checked (the token was refused before)',
      }[signatureVerdict(error.code)]
      io.stdout(`${signature}\nREFUSED  ${error.code} (HTTP ${error.status})\n  ${error.message}${missing}${pending}\n`)
    }
    return unavailable ? EXIT_ERROR : EXIT_REFUSED
  }
}

const SIGNATURE_VALID = 'signature  valid (a key of the environment signed this token)'

/**
 * Codes the verifier raises only once the signature has verified: the claim checks and the
 * revocation check come after it, in this order (see createDynamicAuth).
 */
const AFTER_SIGNATURE = new Set([
  'token_expired',
  'token_not_active',
  'issuer_mismatch',
  'environment_mismatch',
  'audience_mismatch',
  'insufficient_scope',
  'session_revoked',
])

function signatureVerdict(code: string): 'valid' | 'invalid' | 'not checked' {
  return AFTER_SIGNATURE.has(code) ? 'valid' : code === 'signature_invalid' ? 'invalid' : 'not checked'
}

/** `--at`: an ISO 8601 date or seconds since the epoch, in ms. */
function parseTime(value: string): number {
  const ms = /^\d{1,11}(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value)
  if (!Number.isFinite(ms))
    throw new UsageError(
      `--at must be an ISO 8601 date (2026-11-01T12:00:00Z) or seconds since the epoch; got ${JSON.stringify(value.slice(0, 60))}.`,
    )
  return ms
}

/** Reads a key file; a file that cannot be read is a usage error (exit 2). */
async function readKeyFile(option: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${option} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`)
  }
}

/** The JWKS of --jwks-file, each key checked as createDynamicAuth checks it, with the file named in the message. */
async function readJwksFile(path: string): Promise<{ keys: object[] }> {
  const text = await readKeyFile('--jwks-file', path)
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    const key = readRsaPublicKey(text, '')
    const hint =
      'jwk' in key || /-----BEGIN /.test(text) ? ' It looks like a PEM key: give it with --public-key instead.' : ''
    throw new UsageError(`--jwks-file ${path} is not JSON.${hint}`)
  }
  const keys = (document as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new UsageError(
      `--jwks-file ${path} is not a JWKS document: expected { "keys": [ ...at least one RSA key... ] }.`,
    )
  }
  keys.forEach((key, i) => {
    const accepted = acceptJwk(key)
    const which =
      typeof (key as { kid?: unknown } | null)?.kid === 'string'
        ? `the key ${JSON.stringify((key as { kid: string }).kid)}`
        : `key ${i + 1}`
    if ('rejected' in accepted) throw new UsageError(`--jwks-file ${path}: ${which} ${accepted.rejected}.`)
    if (accepted.kid === undefined)
      throw new UsageError(
        `--jwks-file ${path}: ${which} has no kid, so no token can select it; use --public-key for a single key without a kid.`,
      )
  })
  return document as { keys: object[] }
}

/** The key of --public-key, read and checked as createDynamicAuth reads it, with the file named in the message. */
async function readPublicKeyFile(path: string): Promise<string> {
  const text = await readKeyFile('--public-key', path)
  const accepted = acceptRsaPublicKey(text, `--public-key ${path}`)
  if ('rejected' in accepted) throw new UsageError(accepted.rejected)
  return text
}
