/**
 * `dynamic-guard mint`: asks a running local emulator (`dynamic-guard dev`) for a token. Only a
 * loopback emulator is ever asked, so the key that signs is always one generated on this
 * machine; the command says so on stderr.
 */
import {
  EXIT_OK,
  OperationalError,
  UsageError,
  integerOption,
  isLoopbackUrl,
  parseCommandArgs,
  type Io,
} from '../usage.js'
import { DEFAULT_DEV_PORT } from './dev.js'

export const mintHelp = `Usage: dynamic-guard mint [options]

Mints a token from the local emulator's key (start it with "dynamic-guard dev"). The key was
generated on this machine: only apps pointed at the emulator's JWKS accept the token. Dynamic's
servers are never contacted, and no real key is ever used. The key size is the emulator's:
RSA-4096 like Dynamic's, unless "dynamic-guard dev" was started with --key-bits.

Options:
  --emulator <url>          The emulator (default http://127.0.0.1:${DEFAULT_DEV_PORT}); loopback only.
  --id-token                Print the ID token instead of the access token (minified JWT).
  --sub <userId>            The user id.
  --email <email>           The user's email (ID token).
  --scope <scope>           Add a scope (e.g. wallet:export); repeat for several.
  --expires-in <s>          Lifetime in seconds (default 7200).
  --expired                 Already expired.
  --mfa-pending             MFA pending: requiresAdditionalAuth instead of user:basic.
  --other-environment       Signed for another environment.
  --tampered                Payload changed after signing: the signature fails.
  --audience <origin>       The aud claim.
  --claim <name=value>      Set a claim (value parsed as JSON when it can be); repeat for several.
  --json                    Print the whole sign-in answer { jwt, minifiedJwt, expiresAt, user }.
  -h, --help                This help.

Exit codes: 0 minted, 2 usage error or no emulator running.
`

function parseClaim(text: string): [string, unknown] {
  const eq = text.indexOf('=')
  if (eq <= 0) throw new UsageError(`--claim needs name=value; got ${JSON.stringify(text)}.`)
  const name = text.slice(0, eq)
  const raw = text.slice(eq + 1)
  try {
    return [name, JSON.parse(raw)]
  } catch {
    return [name, raw]
  }
}

export async function mintCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    emulator: { type: 'string' },
    'id-token': { type: 'boolean' },
    sub: { type: 'string' },
    email: { type: 'string' },
    scope: { type: 'string', multiple: true },
    'expires-in': { type: 'string' },
    expired: { type: 'boolean' },
    'mfa-pending': { type: 'boolean' },
    'other-environment': { type: 'boolean' },
    tampered: { type: 'boolean' },
    audience: { type: 'string' },
    claim: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  })
  if (values.help) {
    io.stdout(mintHelp)
    return EXIT_OK
  }
  if (positionals.length) throw new UsageError(`mint takes no arguments; got ${JSON.stringify(positionals[0])}.`)
  let emulatorServer: URL
  try {
    emulatorServer = new URL(values.emulator ?? `http://127.0.0.1:${DEFAULT_DEV_PORT}`)
  } catch {
    throw new UsageError(`--emulator is not a URL: ${JSON.stringify(values.emulator)}.`)
  }
  if (emulatorServer.protocol !== 'http:' || !isLoopbackUrl(emulatorServer)) {
    throw new UsageError(
      `mint only asks an emulator on this machine (http://127.0.0.1, localhost or [::1]), so that no real key is ever used; got ${emulatorServer.origin}.`,
    )
  }

  const body: Record<string, unknown> = {}
  if (values.sub) body.sub = values.sub
  if (values.email) body.profile = { email: values.email }
  if (values.scope) body.scopes = values.scope
  const expiresIn = integerOption('expires-in', values['expires-in'], 1, 30 * 24 * 3600)
  if (expiresIn !== undefined) body.expiresIn = expiresIn
  if (values.expired) body.expired = true
  if (values['mfa-pending']) body.mfaPending = true
  if (values['other-environment']) body.otherEnvironment = true
  if (values.tampered) body.tampered = true
  if (values.audience) body.audience = values.audience
  if (values.claim) body.claims = Object.fromEntries(values.claim.map(parseClaim))

  const info = (await call(new URL('/', emulatorServer), { method: 'GET' })) as {
    tokenUrl?: unknown
    jwksUrl?: unknown
    environmentId?: unknown
  }
  if (typeof info.tokenUrl !== 'string')
    throw new OperationalError(`${emulatorServer.origin} answered, but not as a dynamic-guard emulator.`)
  const tokenUrl = new URL(new URL(info.tokenUrl).pathname, emulatorServer)
  const result = (await call(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })) as { jwt: string; minifiedJwt: string }

  io.stdout(
    values.json ? `${JSON.stringify(result, null, 2)}\n` : `${values['id-token'] ? result.jwt : result.minifiedJwt}\n`,
  )
  io.stderr(
    `Minted by the local emulator at ${emulatorServer.origin} with its own locally generated key (environment ${String(info.environmentId)}). ` +
      `Only apps verifying against ${String(info.jwksUrl)} accept it; Dynamic was not contacted.\n`,
  )
  return EXIT_OK
}

async function call(url: URL, init: RequestInit): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(10000) })
  } catch {
    throw new OperationalError(
      `no emulator answers at ${url.origin}. Start one with "dynamic-guard dev" (or pass --emulator <url>).`,
    )
  }
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new OperationalError(
      `${url.origin} answered HTTP ${response.status} with something that is not JSON; is it a dynamic-guard emulator?`,
    )
  }
  if (!response.ok) {
    const message = (json as { message?: unknown } | null)?.message
    if (response.status === 400)
      throw new UsageError(typeof message === 'string' ? message : 'the emulator refused the request.')
    throw new OperationalError(
      `${url.origin} answered HTTP ${response.status}${typeof message === 'string' ? `: ${message}` : ''}.`,
    )
  }
  return json
}
