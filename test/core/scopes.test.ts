import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readScopes } from '../../src/claims/scopes.js'

describe('readScopes', () => {
  it('reads a scope string as whole words split on spaces only, one scope or many', () => {
    const samples = [
      '',
      ' ',
      '  ',
      'user:basic',
      ' user:basic',
      'user:basic ',
      'user:basic  wallet:sign',
      'a b c',
      'user:basic\u00a0admin',
      'user:basic\tadmin',
      'user:basic\nadmin',
      '\u3000',
      'x',
    ]
    for (const scope of samples) {
      // The reference: the split every scope string went through before one scope skipped it.
      assert.deepEqual(readScopes({ scope }), scope.split(/ +/).filter(Boolean), JSON.stringify(scope))
    }
  })
})
