/**
 * The part of a node-redis client (v4, v5, v6) this module uses. Commands go through
 * `sendCommand` so that they read the same in every version; pub/sub needs a connection of its
 * own, made with `duplicate()` and owned by the store that made it.
 */

/** A node-redis client (`createClient(...)`), connected or still connecting: commands fail at once until it is ready. */
export interface RedisClientLike {
  /** True while the client is connected and ready for commands. */
  readonly isReady: boolean
  /** Sends one command, e.g. `['GET', key]`. */
  sendCommand(args: string[]): Promise<unknown>
  /** A new connection with the same settings, for subscribing. */
  duplicate(): RedisSubscriberLike
}

/** The connection a store subscribes on (a `duplicate()` of the user's client). */
export interface RedisSubscriberLike {
  /** True while connected and ready. */
  readonly isReady: boolean
  /** True from `connect()` until closed. */
  readonly isOpen: boolean
  /** Opens the connection. */
  connect(): Promise<unknown>
  /** Subscribes to `channel`; `listener` gets each message. */
  subscribe(channel: string, listener: (message: string, channel: string) => unknown): Promise<unknown>
  /** Listens to a connection event (`error`, `ready`, `end`, …). */
  // biome-ignore lint/suspicious/noExplicitAny: node-redis types each event's listener; only any[] takes them all.
  on(event: string, listener: (...args: any[]) => void): unknown
  /** node-redis answers PING on a subscribed connection too: the store's heartbeat uses it. */
  sendCommand?(args: string[]): Promise<unknown>
  /** Closes the connection (node-redis 5). */
  close?(): Promise<unknown>
  /** Closes the connection (node-redis 4). */
  quit?(): Promise<unknown>
  /** Closes the connection at once (node-redis 5). */
  destroy?(): unknown
  /** Closes the connection at once (node-redis 4). */
  disconnect?(): Promise<unknown>
}

/**
 * A command Redis did not answer in time. It may still run: it was sent, and a Redis that was
 * only frozen answers it later. Callers treat it as a silent Redis, never as "not done".
 */
export class RedisTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`)
    this.name = 'RedisTimeoutError'
  }
}

/** Runs one command; refuses at once when the client is not connected (no offline queue wait). */
export function command(client: RedisClientLike, args: string[], timeoutMs: number): Promise<unknown> {
  if (!client.isReady) return Promise.reject(new Error('Redis is not connected'))
  return withTimeout(client.sendCommand(args), timeoutMs)
}

/** `pending`, or a {@link RedisTimeoutError} after `timeoutMs`. */
export function withTimeout<T>(pending: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(timeoutMs)), timeoutMs)
  })
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer))
}

/** Closes a connection this module opened, whatever the client version. */
export async function closeConnection(connection: RedisSubscriberLike): Promise<void> {
  try {
    if (!connection.isOpen) return
    if (connection.close) await connection.close()
    else if (connection.quit) await connection.quit()
    else if (connection.disconnect) await connection.disconnect()
  } catch {
    connection.destroy?.()
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Validates a key prefix option. */
export function keyPrefix(value: unknown): string {
  if (value === undefined) return 'dynamic-guard:'
  if (typeof value !== 'string' || value.length > 200)
    throw new TypeError('dynamic-guard/redis: keyPrefix must be a string of at most 200 characters.')
  return value
}

export function positive(name: string, value: unknown, fallback: number, min = 1, max = 30 * 24 * 3600_000): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(
      `dynamic-guard/redis: ${name} must be a number from ${min} to ${max}; got ${JSON.stringify(value)}.`,
    )
  }
  return value
}

export function checkClient(client: unknown): asserts client is RedisClientLike {
  const c = client as Partial<RedisClientLike> | null
  if (typeof c !== 'object' || c === null || typeof c.sendCommand !== 'function' || typeof c.duplicate !== 'function') {
    throw new TypeError(
      'dynamic-guard/redis: client must be a node-redis client (createClient from the "redis" package), connected.',
    )
  }
}
