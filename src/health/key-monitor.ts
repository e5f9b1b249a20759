/**
 * Follows the key store's event stream (`jwks.onEvent` sees the same events) for what its `status()` does not say: when the
 * store may fetch again after failures, and when a failure happened. Always on (it runs only on key events, never per verification); feeds `health()`, the
 * refetch-wait gauge and the JWKS fetch metrics.
 */
import type { KeyStoreEvent } from '../keys/key-store.js'

/** What {@link KeyMonitor} learnt from the events. Times in ms since the epoch. */
export interface KeyEventFacts {
  /** Before this time the store does not fetch again (backoff or the server's Retry-After); 0 when it may. */
  readonly retryAt: number
  readonly lastErrorAt: number | undefined
}

/** Receives every key event. */
export type KeyEventListener = (event: KeyStoreEvent) => void

export class KeyMonitor implements KeyEventFacts {
  retryAt = 0
  lastErrorAt: number | undefined
  /** The listener to give the key store: updates these facts, then calls the others in order. */
  readonly onEvent: KeyEventListener

  constructor(
    private readonly clock: () => number,
    listeners: ReadonlyArray<KeyEventListener | undefined>,
  ) {
    const others = listeners.filter((listener): listener is KeyEventListener => listener !== undefined)
    this.onEvent = (event) => {
      this.record(event)
      for (const listener of others) listener(event)
    }
  }

  private record(event: KeyStoreEvent): void {
    const now = this.clock()
    if (event.type === 'jwks_refreshed') {
      this.retryAt = 0
    } else if (event.type === 'jwks_error') {
      this.retryAt = now + event.retryInMs
      this.lastErrorAt = now
    }
  }
}
