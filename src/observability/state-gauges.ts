/**
 * Observable gauges of the key store and the revocation store, read from their `status()` when
 * the SDK collects: nothing is computed between collections.
 */
import type { KeyStoreStatus } from '../keys/key-store.js'
import type { RevocationStatus } from '../revocation/store.js'
import type { KeyEventFacts } from '../health/key-monitor.js'
import { ATTRIBUTES, METRICS } from './names.js'
import type { MeterLike, ObservableResultLike } from '../util/otel-types.js'
import { weakCallback } from './verify-metrics.js'

/** What the gauges read. */
export interface StateSource {
  keyStatus(): KeyStoreStatus
  revocationStatus(): RevocationStatus
}

export function registerStateGauges(
  meter: MeterLike,
  owner: StateSource,
  facts: KeyEventFacts,
  clock: () => number,
  environmentId: string,
): void {
  const attributes = { [ATTRIBUTES.environmentId]: environmentId }
  const gauge = (
    name: string,
    description: string,
    unit: string,
    read: (owner: StateSource, result: ObservableResultLike) => void,
    counter = false,
  ) => {
    const options = { description, unit }
    const instrument = counter
      ? meter.createObservableCounter(name, options)
      : meter.createObservableGauge(name, options)
    instrument.addCallback(weakCallback(owner, read))
  }
  gauge(METRICS.jwksKeys, 'Keys in use.', '{key}', (o, r) => r.observe(o.keyStatus().kids.length, attributes))
  gauge(METRICS.jwksAge, 'Age of the keys in use, since their last successful fetch.', 's', (o, r) => {
    const { fetchedAt } = o.keyStatus()
    if (fetchedAt !== undefined) r.observe(Math.max(0, (clock() - fetchedAt) / 1000), attributes)
  })
  gauge(
    METRICS.jwksRefetchWait,
    'Time until the key store may fetch the JWKS again after failures (0: it may now).',
    's',
    (o, r) => {
      if (o.keyStatus().source === 'remote') r.observe(Math.max(0, (facts.retryAt - clock()) / 1000), attributes)
    },
  )
  gauge(METRICS.revocationConnected, '1 while the revocation store reaches its source.', '1', (o, r) =>
    r.observe(o.revocationStatus().connected ? 1 : 0, attributes),
  )
  gauge(METRICS.revocationEntries, 'Live revocation entries held in process.', '{entry}', (o, r) =>
    r.observe(o.revocationStatus().entries, attributes),
  )
  gauge(METRICS.revocationSyncLag, 'Time since the shared revocation set was last loaded in full.', 's', (o, r) => {
    const { lastSyncAt } = o.revocationStatus()
    if (lastSyncAt !== undefined) r.observe(Math.max(0, (clock() - lastSyncAt) / 1000), attributes)
  })
  gauge(
    METRICS.revocationsReceived,
    'Revocations received from the shared store (other instances, webhooks).',
    '{revocation}',
    (o, r) => {
      const { received } = o.revocationStatus()
      if (received !== undefined) r.observe(received, attributes)
    },
    true,
  )
}
