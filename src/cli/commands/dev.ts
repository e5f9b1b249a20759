/** `dynamic-guard dev`: runs the local Dynamic emulator until Ctrl-C. */
import { createTestIssuer } from '../../testing/issuer.js'
import { DEFAULT_TEST_KEY_BITS, TEST_ENVIRONMENT_ID } from '../../testing/test-issuer.js'
import { table } from '../format.js'
import { emulatorFlags, emulatorHelp, emulatorOptions } from './dev-emulator.js'
import { EXIT_OK, OperationalError, UsageError, integerOption, parseCommandArgs, type Io } from '../usage.js'

/** The port `dev` listens on and `mint` looks for, unless told otherwise. */
export const DEFAULT_DEV_PORT = 4747

export const devHelp = `Usage: dynamic-guard dev [options]

Starts a local emulator for Dynamic: a fresh RSA-4096 key, the size Dynamic signs with
(generated here, trusted by nothing else; generating it takes a second or more),
the JWKS at Dynamic's path, and a sign-in endpoint that hands over tokens the way Dynamic hands
them to its SDK. Point your app's verifier at it to develop and test without Dynamic.
It also emulates Dynamic's SDK API, so that Dynamic's own client signs in against it by email
code, offline (see the options below).

Options:
  --port <n>                Port (default ${DEFAULT_DEV_PORT}; 0 picks a free one).
  --host <host>             Interface (default 127.0.0.1).
  --environment-id <uuid>   The environment it plays (default ${TEST_ENVIRONMENT_ID}).
  --cookie-name <name>      Cookie the sign-in endpoint sets (default DYNAMIC_JWT_TOKEN).
  --key-bits <bits>         RSA key size: 2048, 3072 or 4096 (default ${DEFAULT_TEST_KEY_BITS}, as Dynamic).
                            2048 starts faster and verifies faster, so it is for quick tests
                            only: speed measured against it is not what production sees.
  --no-cookie               Set no cookie.
  --json                    Print the endpoints as one JSON line instead of the guide
                            (then each email code as a JSON line {"event":"otp",...}).
  -h, --help                This help.

${emulatorHelp}

Runs until Ctrl-C (SIGINT) or SIGTERM.

Exit codes: 0 stopped by a signal, 2 usage error or cannot listen (port in use).
`

const KEY_BITS = ['2048', '3072', '4096']

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export async function devCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    'environment-id': { type: 'string' },
    'cookie-name': { type: 'string' },
    'key-bits': { type: 'string' },
    'no-cookie': { type: 'boolean' },
    json: { type: 'boolean' },
    ...emulatorFlags,
  })
  if (values.help) {
    io.stdout(devHelp)
    return EXIT_OK
  }
  if (positionals.length) throw new UsageError(`dev takes no arguments; got ${JSON.stringify(positionals[0])}.`)
  const port = integerOption('port', values.port, 0, 65535) ?? DEFAULT_DEV_PORT
  const environmentId = values['environment-id'] ?? TEST_ENVIRONMENT_ID
  if (!UUID.test(environmentId))
    throw new UsageError(`--environment-id must be a UUID; got ${JSON.stringify(environmentId)}.`)
  if (values['no-cookie'] && values['cookie-name']) throw new UsageError('give --cookie-name or --no-cookie, not both.')
  const cookieName = values['no-cookie'] ? false : (values['cookie-name'] ?? 'DYNAMIC_JWT_TOKEN')
  if (cookieName && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName))
    throw new UsageError(`--cookie-name ${JSON.stringify(cookieName)} is not a valid cookie name.`)

  const keyBitsText = values['key-bits'] ?? String(DEFAULT_TEST_KEY_BITS)
  if (!KEY_BITS.includes(keyBitsText))
    throw new UsageError(`--key-bits must be 2048, 3072 or 4096; got ${JSON.stringify(keyBitsText)}.`)
  const keyBits = Number(keyBitsText)

  const host = values.host ?? '127.0.0.1'
  // Loopback only unless --unsafe-listen-any-host (loud): the server mints tokens for whoever reaches it.
  const emulator = emulatorOptions(values, host, io, values.json === true)
  const issuer = createTestIssuer({ environmentId: environmentId.toLowerCase(), modulusLength: keyBits })
  let server
  try {
    server = await issuer.listen({ ...emulator, port, host, cookieName })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new OperationalError(
      code === 'EADDRINUSE'
        ? `port ${port} is in use (is another "dynamic-guard dev" running?). Try --port 0.`
        : `cannot listen: ${(error as Error).message}`,
    )
  }

  // Listen for Ctrl-C / SIGTERM before saying we are up: a caller may stop us right after.
  const stopped = io.stopSignal()
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ origin: server.origin, environmentId: issuer.environmentId, issuer: issuer.issuer, keyBits, jwksUrl: server.jwksUrl, tokenUrl: server.tokenUrl, rotateKeyUrl: server.rotateKeyUrl, apiBaseUrl: server.apiBaseUrl, otpUrl: server.otpUrl })}\n`,
    )
  } else {
    io.stdout(
      [
        `Local Dynamic emulator running at ${server.origin}`,
        `Its RSA-${keyBits} key was generated on this machine just now: tokens it mints are trusted only by apps pointed at this JWKS.`,
        '',
        table([
          ['environment id', issuer.environmentId],
          [
            'key',
            `RSA-${keyBits}${keyBits === DEFAULT_TEST_KEY_BITS ? ' (as Dynamic)' : " (smaller than Dynamic's RSA-4096: for quick tests only)"}`,
          ],
          ['issuer (iss)', issuer.issuer],
          ['JWKS', server.jwksUrl],
          ['sign in', `POST ${server.tokenUrl}`],
          ['rotate key', `POST ${server.rotateKeyUrl}`],
          ['Dynamic SDK API', server.apiBaseUrl],
          [
            'email codes',
            `GET ${server.otpUrl}?email=<address>${emulator.otpCode ? ` (fixed: ${emulator.otpCode})` : ''}`,
          ],
        ]),
        '',
        'Point your app at it, with these two environment variables (the convention of the testing guide):',
        `  DYNAMIC_ENVIRONMENT_ID=${issuer.environmentId}`,
        `  DYNAMIC_JWKS_URL=${server.jwksUrl}`,
        '  createDynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID!, ...(process.env.DYNAMIC_JWKS_URL ? { jwks: { url: process.env.DYNAMIC_JWKS_URL } } : {}) })',
        `or directly: createDynamicAuth({ environmentId: '${issuer.environmentId}', jwks: { url: '${server.jwksUrl}' } })`,
        '',
        'Get a token:',
        `  npx dynamic-guard mint${port === DEFAULT_DEV_PORT && server.origin.includes('127.0.0.1') ? '' : ` --emulator ${server.origin}`}`,
        `  curl -s -X POST ${server.tokenUrl} -H 'content-type: application/json' -d '{"mfaPending":true}'`,
        '',
        "Or sign in through Dynamic's own client (@dynamic-labs-sdk/client), by email code:",
        `  createDynamicClient({ environmentId: '${issuer.environmentId}', coreConfig: { apiBaseUrl: '${server.apiBaseUrl}' } })`,
        '  The codes print here.',
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    )
  }
  const signal = await stopped
  await server.close()
  io.stderr(`Emulator stopped (${signal}).\n`)
  return EXIT_OK
}
