/**
 * Where configuration-shaped problems go, so that the operator sees them and not only the client
 * that was refused: a JWKS URL that answers 404, a static key that verifies nothing, a loosened
 * check. Each distinct problem is written once, then again at most once per `everyMs` while it
 * lasts. Messages never hold a token.
 */

/** What dynamic-guard writes to (the `logger` option): `console` by default. */
export interface DynamicAuthLogger {
  /** Writes one warning line. */
  warn(message: string): void
}

const DEFAULT_EVERY_MS = 10 * 60_000
const MAX_KEYS = 256

export class ProblemLog {
  /** problem key → when it was last written (ms). */
  private readonly written = new Map<string, number>()

  constructor(
    private readonly logger: DynamicAuthLogger | undefined,
    private readonly clock: () => number = Date.now,
    private readonly everyMs = DEFAULT_EVERY_MS,
  ) {}

  /** Writes `message` unless the problem `key` was written less than `everyMs` ago. */
  report(key: string, message: string): void {
    if (this.logger === undefined) return
    const now = this.clock()
    const last = this.written.get(key)
    if (last !== undefined && now - last < this.everyMs) return
    this.written.delete(key)
    this.written.set(key, now)
    if (this.written.size > MAX_KEYS) this.written.delete(this.written.keys().next().value!)
    try {
      this.logger.warn(`dynamic-guard: ${message}`)
    } catch {
      // A logger that throws must not turn a refusal into a crash.
    }
  }
}
