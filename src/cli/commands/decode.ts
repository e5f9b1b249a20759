/**
 * `dynamic-guard decode <token | ->`: what a token claims, for reading. It verifies nothing and
 * says so at the top of its output; it also reports whether the verifier would refuse the
 * token's form outright (a `jku` header, padding, duplicate members, …).
 */
import { parseCompactJws } from '../../parse/compact-jws.js'
import { isDynamicAuthError } from '../../errors.js'
import { humanTime } from '../format.js'
import { EXIT_OK, EXIT_REFUSED, parseCommandArgs, readTokenArgument, type Io } from '../usage.js'

export const decodeHelp = `Usage: dynamic-guard decode <token | -> [options]

Prints a token's header and claims, with times in human form. This is NOT a statement of
validity: anyone can write any claims into a token. Use "dynamic-guard verify" to check it.

Options:
  --json        Print { verified: false, header, payload, times, form } as JSON.
  -h, --help    This help.

"-" reads the token from stdin (one line; surrounding whitespace is dropped). Give the token
alone: a "Bearer " prefix or quotes are refused, with what to remove.

Exit codes: 0 decoded, 1 not a decodable JWT, 2 usage error.
`

const NOT_VERIFIED =
  'NOT VERIFIED: this shows what the token claims, not whether it is valid. Use "dynamic-guard verify" to check it.'
const TIME_CLAIMS = ['iat', 'nbf', 'exp', 'refreshExp'] as const

function decodePart(part: string, name: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(part)) throw new Error(`the ${name} is not base64url`)
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    throw new Error(`the ${name} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`the ${name} is not a JSON object`)
  return value as Record<string, unknown>
}

/** Decodes leniently (to show as much as possible); the strict parser's verdict is reported beside it. */
export function decodeForDisplay(token: string): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  formProblem: string | undefined
} {
  const parts = token.split('.')
  if (parts.length === 5)
    throw new Error('it has five parts: an encrypted JWE, which cannot be read without the decryption key')
  if (parts.length !== 3) throw new Error(`a JWT has three dot-separated parts; this has ${parts.length}`)
  const header = decodePart(parts[0]!, 'header')
  const payload = decodePart(parts[1]!, 'payload')
  let formProblem: string | undefined
  try {
    parseCompactJws(token, 16384)
  } catch (error) {
    formProblem = isDynamicAuthError(error) ? error.message : String(error)
  }
  return { header, payload, formProblem }
}

export async function decodeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } })
  if (values.help) {
    io.stdout(decodeHelp)
    return EXIT_OK
  }
  const token = await readTokenArgument(positionals, io)
  let decoded
  try {
    decoded = decodeForDisplay(token)
  } catch (error) {
    const reason = (error as Error).message
    if (values.json) io.stdout(`${JSON.stringify({ verified: false, error: `cannot decode: ${reason}` }, null, 2)}\n`)
    else io.stderr(`dynamic-guard decode: cannot decode the token: ${reason}.\n`)
    return EXIT_REFUSED
  }
  const { header, payload, formProblem } = decoded
  const now = Date.now() / 1000
  const times: Record<string, string> = {}
  for (const name of TIME_CLAIMS) if (payload[name] !== undefined) times[name] = humanTime(payload[name], now)

  if (values.json) {
    io.stdout(
      `${JSON.stringify({ verified: false, note: NOT_VERIFIED, header, payload, times, form: formProblem ? { refused: formProblem } : 'strict JWS' }, null, 2)}\n`,
    )
    return EXIT_OK
  }
  const lines = [
    NOT_VERIFIED,
    '',
    'Header',
    indent(JSON.stringify(header, null, 2)),
    '',
    'Claims',
    indent(JSON.stringify(payload, null, 2)),
  ]
  if (Object.keys(times).length) {
    lines.push('', 'Times')
    const width = Math.max(...Object.keys(times).map((k) => k.length))
    for (const [name, text] of Object.entries(times)) lines.push(`  ${name.padEnd(width)}  ${text}`)
  }
  if (typeof payload.scope === 'string') lines.push('', `Scopes  ${payload.scope || '(empty)'}`)
  if (formProblem) lines.push('', `Form    the verifier would refuse this token before any key is used: ${formProblem}`)
  io.stdout(`${lines.join('\n')}\n`)
  return EXIT_OK
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}
