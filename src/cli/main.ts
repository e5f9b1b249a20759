/** Dispatches `dynamic-guard <command>` and turns every failure into a message and an exit code. */
import { decodeCommand, decodeHelp } from './commands/decode.js'
import { devCommand, devHelp } from './commands/dev.js'
import { jwksCommand, jwksHelp } from './commands/jwks.js'
import { mintCommand, mintHelp } from './commands/mint.js'
import { verifyCommand, verifyHelp } from './commands/verify.js'
import { EXIT_ERROR, EXIT_OK, OperationalError, UsageError, type Io } from './usage.js'

const COMMANDS: Record<string, { run: (args: string[], io: Io) => Promise<number>; help: string }> = {
  verify: { run: verifyCommand, help: verifyHelp },
  decode: { run: decodeCommand, help: decodeHelp },
  jwks: { run: jwksCommand, help: jwksHelp },
  dev: { run: devCommand, help: devHelp },
  mint: { run: mintCommand, help: mintHelp },
}

export const mainHelp = `Usage: dynamic-guard <command> [options]

Verify and inspect the JWTs Dynamic (dynamic.xyz) issues, and develop without Dynamic's servers.

Commands:
  verify <token | ->             Verify a token against your environment: verdict and reason.
  decode <token | ->             Show a token's header and claims (NOT a validity check).
  jwks <environmentId | url>     Fetch a JWKS and list its keys.
  dev                            Run the local Dynamic emulator (JWKS and sign-in endpoint).
  mint                           Mint a token from the local emulator's key (local keys only).

Run "dynamic-guard <command> --help" for a command's options.

Exit codes: 0 success (valid), 1 refused, 2 usage or network error.
`

export async function main(argv: string[], io: Io, version: string): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined) {
    io.stderr(mainHelp)
    return EXIT_ERROR
  }
  if (command === '--help' || command === '-h') {
    io.stdout(mainHelp)
    return EXIT_OK
  }
  if (command === 'help') {
    const topic = rest[0]
    if (topic === undefined) {
      io.stdout(mainHelp)
      return EXIT_OK
    }
    const entry = COMMANDS[topic]
    if (!entry) return usageFailure(io, `unknown command "${topic}".`, undefined)
    io.stdout(entry.help)
    return EXIT_OK
  }
  if (command === '--version' || command === '-v') {
    io.stdout(`${version}\n`)
    return EXIT_OK
  }
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
  if (!entry)
    return usageFailure(io, `unknown command "${command}". Commands: ${Object.keys(COMMANDS).join(', ')}.`, undefined)
  try {
    return await entry.run(rest, io)
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, error.message, command)
    if (error instanceof OperationalError) {
      io.stderr(`dynamic-guard ${command}: ${error.message}\n`)
      return EXIT_ERROR
    }
    io.stderr(`dynamic-guard ${command}: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`)
    return EXIT_ERROR
  }
}

function usageFailure(io: Io, message: string, command: string | undefined): number {
  const help = command ? `dynamic-guard ${command} --help` : 'dynamic-guard --help'
  io.stderr(`dynamic-guard${command ? ` ${command}` : ''}: ${message}\nSee "${help}".\n`)
  return EXIT_ERROR
}
