/**
 * Exit codes and argument handling shared by every command. Exit codes are a contract:
 * 0 the answer is yes (valid, decoded, listed), 1 the answer is no (refused), 2 the question
 * could not be answered (bad usage, network error).
 */
import { parseArgs } from 'node:util'
import { isLoopbackHostname } from '../options.js'

export const EXIT_OK = 0
export const EXIT_REFUSED = 1
export const EXIT_ERROR = 2

/** A mistake in how the command was called: reported with a pointer to the help, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** A failure outside the token (network, an emulator not running): exit 2. */
export class OperationalError extends Error {
  override readonly name = 'OperationalError'
}

/** What a command writes; tests and the entry point provide the real streams. */
export interface Io {
  stdout: (text: string) => void
  stderr: (text: string) => void
  readStdin: () => Promise<string>
  env: Record<string, string | undefined>
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
  stopSignal: () => Promise<string>
}

/** One option, as node:util parseArgs takes it. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  short?: string
}

/** The parsed values of `O`: strings, lists of strings for `multiple`, booleans; `help` always. */
export type OptionValues<O extends Record<string, OptionSpec>> = {
  [K in keyof O]?: O[K] extends { type: 'string' } ? (O[K] extends { multiple: true } ? string[] : string) : boolean
} & { help?: boolean }

/** node:util parseArgs, strict, with its errors turned into {@link UsageError}s. */
export function parseCommandArgs<const O extends Record<string, OptionSpec>>(
  args: string[],
  options: O,
): { values: OptionValues<O>; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
    return { values: parsed.values as OptionValues<O>, positionals: parsed.positionals }
  } catch (error) {
    const message =
      error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '.') : String(error)
    throw new UsageError(message)
  }
}

/** Parses a whole number option; `undefined` when absent. */
export function integerOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}.`)
  }
  return Number(value)
}

const MAX_TOKEN_INPUT = 1024 * 1024

/**
 * The token argument: the token itself, or `-` to read it from stdin. The line is trimmed (stdin
 * ends with a newline); anything else around the token (a `Bearer ` prefix, quotes) is left for
 * the parser to refuse with the fix, as the library and the adapters do.
 */
export async function readTokenArgument(positionals: string[], io: Io): Promise<string> {
  if (positionals.length === 0)
    throw new UsageError('missing the token (give it as the argument, or "-" to read it from stdin).')
  if (positionals.length > 1) throw new UsageError(`expected one token, got ${positionals.length} arguments.`)
  let raw = positionals[0]!
  if (raw === '-') {
    raw = await io.readStdin()
    if (raw.length > MAX_TOKEN_INPUT)
      throw new UsageError(`stdin holds more than ${MAX_TOKEN_INPUT} bytes; that is not a token.`)
  }
  const token = raw.trim()
  if (token === '')
    throw new UsageError(raw === '' ? 'the token is empty (stdin gave nothing).' : 'the token is empty.')
  return token
}

/** Hosts a "local" URL may name: loopback only. */
export function isLoopbackUrl(url: URL): boolean {
  return isLoopbackHostname(url.hostname)
}
