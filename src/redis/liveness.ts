/**
 * Whether Redis still answers. A Redis that stops answering without closing its socket (frozen
 * by SIGSTOP, a stuck host, a partition that sends no reset) raises no socket event: commands
 * just wait. So a heartbeat PINGs every `interval`; a PING, or any command, left unanswered past
 * `timeout` makes Redis *silent*, and the first answer after that (the queued PING, when a frozen
 * Redis resumes) makes it answering again. One PING at most is outstanding, so a long freeze does
 * not pile PINGs up in the connection's queue.
 */

import { command, positive, RedisTimeoutError, type RedisClientLike } from './client.js'

/** What {@link Liveness} needs. Times in ms. */
export interface LivenessOptions {
  /** Sends one PING; rejects at once when the connection is not open (socket events cover that). */
  ping(): Promise<unknown>
  interval: number
  timeout: number
  clock: () => number
  /** Redis stopped answering; `since` is when the unanswered command was sent. */
  onSilent(since: number, message: string): void
  /** Redis answered again after being silent. */
  onAnswer(): void
}

export class Liveness {
  private silentSince: number | undefined
  private inFlight = false
  private closed = false
  private readonly timer: ReturnType<typeof setInterval>

  constructor(private readonly options: LivenessOptions) {
    this.timer = setInterval(() => this.probe(), options.interval)
    this.timer.unref?.()
  }

  /** True from an unanswered command until Redis answers a PING. */
  get silent(): boolean {
    return this.silentSince !== undefined
  }

  /** A command sent at `sentAt` got no answer in time: silent until a PING is answered. */
  timedOut(sentAt: number, message: string): void {
    this.markSilent(sentAt, message)
    this.probe()
  }

  /**
   * Runs one Redis command under watch: refused at once (`silentError`) while Redis is silent, so
   * that nothing waits on a frozen Redis; a command left unanswered makes it silent. The clock of
   * the options dates the command.
   */
  run(client: RedisClientLike, args: string[], timeoutMs: number, silentError: () => Error): Promise<unknown> {
    if (this.silent) {
      this.probe()
      return Promise.reject(silentError())
    }
    const sentAt = this.options.clock()
    return command(client, args, timeoutMs).catch((error: unknown) => {
      if (error instanceof RedisTimeoutError) this.timedOut(sentAt, error.message)
      throw error
    })
  }

  /** Sends a PING now, unless one is outstanding. */
  probe(): void {
    if (this.inFlight || this.closed) return
    this.inFlight = true
    const sentAt = this.options.clock()
    let settled = false
    const timer = setTimeout(() => {
      if (!settled)
        this.markSilent(
          sentAt,
          `Redis did not answer a PING within ${this.options.timeout} ms (it stopped answering without closing the connection)`,
        )
    }, this.options.timeout)
    timer.unref?.()
    let pending: Promise<unknown>
    try {
      pending = this.options.ping()
    } catch (error) {
      pending = Promise.reject(error)
    }
    pending.then(
      () => {
        settled = true
        clearTimeout(timer)
        this.inFlight = false
        if (this.silentSince === undefined || this.closed) return
        this.silentSince = undefined
        this.options.onAnswer()
      },
      () => {
        // A closed or reconnecting connection: its socket events report it.
        settled = true
        clearTimeout(timer)
        this.inFlight = false
      },
    )
  }

  close(): void {
    this.closed = true
    clearInterval(this.timer)
  }

  private markSilent(since: number, message: string): void {
    if (this.silentSince !== undefined || this.closed) return
    this.silentSince = since
    this.options.onSilent(since, message)
  }
}

/** The timing options of a store that only sends commands (no subscriber): see {@link commandLiveness}. */
export interface CommandTimingOptions {
  /** How long a command may go unanswered before Redis counts as silent, ms. Default 2000. */
  commandTimeout?: number
  /** How often Redis is PINGed while idle, ms. Default 5000. */
  heartbeatInterval?: number
}

/**
 * The watch of a store that only sends commands (the webhook dedupe, the one-time store): the
 * validated command timeout, and a {@link Liveness} PINGing `client` on its own schedule.
 */
export function commandLiveness(
  client: RedisClientLike,
  options: CommandTimingOptions,
): { readonly liveness: Liveness; readonly timeout: number } {
  const timeout = positive('commandTimeout', options.commandTimeout, 2000)
  const interval = positive('heartbeatInterval', options.heartbeatInterval, 5000, 50)
  const liveness = new Liveness({
    ping: () => (client.isReady ? client.sendCommand(['PING']) : Promise.reject(new Error('Redis is not connected'))),
    interval,
    timeout,
    clock: Date.now,
    onSilent: () => undefined,
    onAnswer: () => undefined,
  })
  return { liveness, timeout }
}
