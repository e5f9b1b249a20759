/** `dynamic-guard jwks <environmentId | url>`: fetches a JWKS and lists its keys, and which ones dynamic-guard trusts. */
import { fetchJwks, JwksFetchError } from '../../keys/fetch-jwks.js'
import { acceptJwk } from '../../keys/jwk.js'
import { defaultJwksUrl } from '../../options.js'
import { decodeBase64url } from '../../parse/base64url.js'
import {
  EXIT_OK,
  EXIT_REFUSED,
  OperationalError,
  UsageError,
  integerOption,
  isLoopbackUrl,
  parseCommandArgs,
  type Io,
} from '../usage.js'

export const jwksHelp = `Usage: dynamic-guard jwks <environmentId | url> [options]

Fetches a JWKS and lists its keys: kid, type and size, alg, use, and whether dynamic-guard would
trust the key (and why not). An environment id means Dynamic's JWKS URL for it:
https://app.dynamic.xyz/api/v0/sdk/<environmentId>/.well-known/jwks

Options:
  --timeout <ms>   Request timeout, body included (default 5000).
  --json           Print { url, keys: [...] } as JSON.
  -h, --help       This help.

Exit codes: 0 listed (at least one key is usable), 1 no usable key, 2 usage or network error.
`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface KeyRow {
  kid: string | null
  kty: unknown
  bits: number | null
  alg: unknown
  use: unknown
  usable: boolean
  reason?: string
}

function modulusBits(n: unknown): number | null {
  if (typeof n !== 'string') return null
  const bytes = decodeBase64url(n)
  if (!bytes || bytes.length === 0) return null
  let first = 0
  while (first < bytes.length && bytes[first] === 0) first++
  if (first === bytes.length) return 0
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first]!))
}

function describeKey(key: unknown): KeyRow {
  const record = (typeof key === 'object' && key !== null ? key : {}) as Record<string, unknown>
  const accepted = acceptJwk(key)
  const row: KeyRow = {
    kid: typeof record.kid === 'string' ? record.kid : null,
    kty: record.kty ?? null,
    bits: record.kty === 'RSA' ? modulusBits(record.n) : null,
    alg: record.alg ?? null,
    use: record.use ?? null,
    usable: !('rejected' in accepted),
  }
  if ('rejected' in accepted) row.reason = `the key ${accepted.rejected}`
  else if (accepted.kid === undefined) row.reason = 'no kid: usable only when it is the only key'
  return row
}

/** The innermost cause's code or message ("ECONNREFUSED", "bad port"), when the message lacks it. */
function rootCause(error: Error): string {
  let inner: unknown = error
  while (inner instanceof Error && inner.cause !== undefined) inner = inner.cause
  if (inner === error || !(inner instanceof Error)) return ''
  const detail = (inner as NodeJS.ErrnoException).code ?? inner.message
  return detail && !error.message.includes(detail) ? ` (${detail})` : ''
}

function targetUrl(target: string): string {
  if (UUID.test(target)) return defaultJwksUrl(target.toLowerCase())
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new UsageError(`"${target}" is neither an environment id (a UUID) nor a URL.`)
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))) return url.href
  throw new UsageError(`the JWKS URL must be https (plain http only on loopback); got ${url.protocol}//${url.host}.`)
}

export async function jwksCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { timeout: { type: 'string' }, json: { type: 'boolean' } })
  if (values.help) {
    io.stdout(jwksHelp)
    return EXIT_OK
  }
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length ? 'give one environment id or URL.' : 'missing the environment id or JWKS URL.',
    )
  const url = targetUrl(positionals[0]!)
  const timeoutMs = integerOption('timeout', values.timeout, 1, 120000) ?? 5000
  let keys: unknown[]
  try {
    keys = await fetchJwks(url, { timeoutMs, maxBytes: 1024 * 1024, maxKeys: 1000, fetch: globalThis.fetch })
  } catch (error) {
    if (error instanceof JwksFetchError) throw new OperationalError(`${url} ${error.message}${rootCause(error)}.`)
    throw error
  }
  const rows = keys.map(describeKey)
  const usable = rows.filter((r) => r.usable).length
  if (values.json) {
    io.stdout(`${JSON.stringify({ url, keys: rows }, null, 2)}\n`)
  } else {
    const lines = [
      `JWKS  ${url}`,
      `${rows.length} key${rows.length === 1 ? '' : 's'}, ${usable} usable by dynamic-guard`,
      '',
    ]
    const header = ['kid', 'type', 'alg', 'use', 'usable']
    const cells = rows.map((r) => [
      r.kid ?? '(none)',
      `${String(r.kty)}${r.bits !== null ? ` ${r.bits}` : ''}`,
      r.alg === null ? '-' : String(r.alg),
      r.use === null ? '-' : String(r.use),
      r.usable ? (r.reason ? `yes (${r.reason})` : 'yes') : `no: ${r.reason}`,
    ])
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
    const line = (c: string[]) =>
      `  ${c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`
    lines.push(line(header), ...cells.map(line))
    io.stdout(`${lines.join('\n')}\n`)
  }
  return usable > 0 ? EXIT_OK : EXIT_REFUSED
}
