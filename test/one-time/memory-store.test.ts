/** The in-memory one-time store and the `oneTimeStore` option of createDynamicAuth. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createMemoryOneTimeStore } from '../../src/one-time/memory-store.js'
import { createDynamicAuth, DynamicAuthConfigError } from '../../src/index.js'
import { createTestIssuer } from '../../src/testing/index.js'

describe('createMemoryOneTimeStore', () => {
  it('answers true once per id until it expires, then accepts the id again', async () => {
    let now = 1_000_000_000_000
    const store = createMemoryOneTimeStore({ clock: () => now })
    const t = now / 1000
    assert.equal(await store.claim('a', t + 10), true)
    assert.equal(await store.claim('a', t + 10), false, 'a second claim of a live id')
    assert.equal(await store.claim('b', t + 10), true, 'ids are independent')
    now += 11_000
    assert.equal(await store.claim('a', t + 30), true, 'an expired id may be claimed again')
    assert.equal(await store.claim('a', t + 30), false)
  })

  it('keeps nothing for an id whose expiry has already passed', async () => {
    const now = 1_000_000_000_000
    const store = createMemoryOneTimeStore({ clock: () => now, maxEntries: 1 })
    assert.equal(await store.claim('past', now / 1000 - 1), true)
    assert.equal(await store.claim('live', now / 1000 + 5), true, 'the past id took no room')
  })

  it('fails closed when full of live ids: the claim rejects and no live id is forgotten', async () => {
    let now = 1_000_000_000_000
    const store = createMemoryOneTimeStore({ clock: () => now, maxEntries: 2 })
    const t = now / 1000
    assert.equal(await store.claim('a', t + 10), true)
    assert.equal(await store.claim('b', t + 20), true)
    await assert.rejects(async () => store.claim('c', t + 10), /one-time store is full .*maxEntries/)
    assert.equal(await store.claim('a', t + 10), false, 'a is still recorded: refused, not evicted')
    assert.equal(await store.claim('b', t + 20), false)
    now += 10_000 // a expires: the next claim sweeps it and finds room
    assert.equal(await store.claim('c', t + 30), true)
    await assert.rejects(async () => store.claim('d', t + 30), /full/)
    assert.equal(await store.claim('b', t + 20), false)
  })

  it('rejects claims without an id or a finite expiry, and bad options', async () => {
    const store = createMemoryOneTimeStore()
    await assert.rejects(async () => store.claim('', 1e10), TypeError)
    await assert.rejects(async () => store.claim('x', Number.NaN), TypeError)
    assert.throws(() => createMemoryOneTimeStore({ maxEntries: 0 }), /maxEntries/)
    assert.throws(() => createMemoryOneTimeStore({ maxEntries: 1.5 }), /maxEntries/)
    assert.throws(() => createMemoryOneTimeStore({ clock: 5 as unknown as () => number }), /clock/)
  })
})

describe('the oneTimeStore option', () => {
  const issuer = createTestIssuer()

  it('defaults to a store of its own per verifier', async () => {
    const a = createDynamicAuth(issuer.authOptions())
    const b = createDynamicAuth(issuer.authOptions())
    assert.notEqual(a.oneTimeStore, b.oneTimeStore)
    assert.equal(await a.oneTimeStore.claim('x', Date.now() / 1000 + 60), true)
    assert.equal(await b.oneTimeStore.claim('x', Date.now() / 1000 + 60), true)
    assert.equal(await a.oneTimeStore.claim('x', Date.now() / 1000 + 60), false)
  })

  it('takes a store given, and refuses anything without a claim function', () => {
    const store = createMemoryOneTimeStore()
    assert.equal(createDynamicAuth({ ...issuer.authOptions(), oneTimeStore: store }).oneTimeStore, store)
    for (const bad of [null, 5, {}, { claim: 'x' }]) {
      assert.throws(
        () => createDynamicAuth({ ...issuer.authOptions(), oneTimeStore: bad as never }),
        (error: unknown) =>
          error instanceof DynamicAuthConfigError && /oneTimeStore must be a one-time store/.test(error.message),
      )
    }
  })
})
