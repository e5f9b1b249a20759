/** `dynamic-guard dev`: runs the local Dynamic stand-in until Ctrl-C. */
import { createTestIssuer, TEST_ENVIRONMENT_ID } from '../../testing/test-issuer.js'
import { table } from '../format.js'
import { EXIT_OK, OperationalError, UsageError, integerOption, parseCommandArgs, type Io } from '../usage.js'

/** The port `dev` listens on and `mint` looks for, unless told otherwise. */
export const DEFAULT_DEV_PORT = 4747

export const devHelp = `Usage: dynamic-guard dev [options]

Starts a local stand-in for Dynamic: a fresh RSA key (generated here, trusted by nothing else),
the JWKS at Dynamic's path, and a sign-in endpoint that hands over tokens the way Dynamic hands
them to its SDK. Point your app's verifier at it to develop and test without Dynamic.

Options:
  --port <n>                Port (default ${DEFAULT_DEV_PORT}; 0 picks a free one).
  --host <host>             Interface (default 127.0.0.1).
  --environment-id <uuid>   The environment it plays (default ${TEST_ENVIRONMENT_ID}).
  --cookie-name <name>      Cookie the sign-in endpoint sets (default DYNAMIC_JWT_TOKEN).
  --no-cookie               Set no cookie.
  --json                    Print the endpoints as one JSON line instead of the guide.
  -h, --help                This help.

Runs until Ctrl-C (SIGINT) or SIGTERM.

Exit codes: 0 stopped by a signal, 2 usage error or cannot listen (port in use).
`

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function devCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    'environment-id': { type: 'string' },
    'cookie-name': { type: 'string' },
    'no-cookie': { type: 'boolean' },
    json: { type: 'boolean' },
  })
  if (values.help) {
    io.stdout(devHelp)
    return EXIT_OK
  }
  if (positionals.length) throw new UsageError(`dev takes no arguments; got ${JSON.stringify(positionals[0])}.`)
  const port = integerOption('port', values.port, 0, 65535) ?? DEFAULT_DEV_PORT
  const environmentId = values['environment-id'] ?? TEST_ENVIRONMENT_ID
  if (!UUID.test(environmentId)) throw new UsageError(`--environment-id must be a UUID; got ${JSON.stringify(environmentId)}.`)
  if (values['no-cookie'] && values['cookie-name']) throw new UsageError('give --cookie-name or --no-cookie, not both.')
  const cookieName = values['no-cookie'] ? false : (values['cookie-name'] ?? 'DYNAMIC_JWT_TOKEN')
  if (cookieName && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) throw new UsageError(`--cookie-name ${JSON.stringify(cookieName)} is not a valid cookie name.`)

  const host = values.host ?? '127.0.0.1'
  if (!/^(localhost|127(\.\d{1,3}){3}|::1)$/i.test(host)) {
    // Loud: the sign-in endpoint mints valid tokens for whoever reaches it.
    io.stderr(`WARNING: listening on ${host}, not loopback: anyone who can reach this port can mint tokens that apps pointed at this stand-in accept.\n`)
  }
  const issuer = createTestIssuer({ environmentId: environmentId.toLowerCase() })
  let server
  try {
    server = await issuer.listen({ port, host, cookieName })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new OperationalError(
      code === 'EADDRINUSE' ? `port ${port} is in use (is another "dynamic-guard dev" running?). Try --port 0.` : `cannot listen: ${(error as Error).message}`,
    )
  }

  // Listen for Ctrl-C / SIGTERM before saying we are up: a caller may stop us right after.
  const stopped = io.stopSignal()
  if (values.json) {
    io.stdout(`${JSON.stringify({ origin: server.origin, environmentId: issuer.environmentId, issuer: issuer.issuer, jwksUrl: server.jwksUrl, tokenUrl: server.tokenUrl, rotateKeyUrl: server.rotateKeyUrl })}\n`)
  } else {
    io.stdout(
      [
        `Local Dynamic stand-in running at ${server.origin}`,
        'Its key was generated on this machine just now: tokens it mints are trusted only by apps pointed at this JWKS.',
        '',
        table([
          ['environment id', issuer.environmentId],
          ['issuer (iss)', issuer.issuer],
          ['JWKS', server.jwksUrl],
          ['sign in', `POST ${server.tokenUrl}`],
          ['rotate key', `POST ${server.rotateKeyUrl}`],
        ]),
        '',
        'Point your app at it:',
        `  createDynamicAuth({ environmentId: '${issuer.environmentId}', jwksUrl: '${server.jwksUrl}' })`,
        '',
        'Get a token:',
        `  npx dynamic-guard mint${port === DEFAULT_DEV_PORT && server.origin.includes('127.0.0.1') ? '' : ` --stand-in ${server.origin}`}`,
        `  curl -s -X POST ${server.tokenUrl} -H 'content-type: application/json' -d '{"mfaPending":true}'`,
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    )
  }
  const signal = await stopped
  await server.close()
  io.stderr(`Stand-in stopped (${signal}).\n`)
  return EXIT_OK
}
