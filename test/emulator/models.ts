/**
 * Checks an answer of the emulator against Dynamic's own model readers (`<Model>FromJSON`, and
 * `<Model>ToJSON` to write it back) in the pinned `@dynamic-labs/sdk-api-core`: every member the
 * emulator sends must survive the round trip under its wire name (a misspelt or unknown member is
 * dropped by the reader, so the check fails), and every member the model requires must be there
 * (read from the model's type declaration).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as models from '@dynamic-labs/sdk-api-core'

const require = createRequire(import.meta.url)
const modelsDir = join(dirname(require.resolve('@dynamic-labs/sdk-api-core')), 'models')

/** The required (TypeScript) members of a model, from its declaration file. */
function requiredMembers(model: string): string[] {
  const declaration = readFileSync(join(modelsDir, `${model}.d.ts`), 'utf8')
  const body = declaration.slice(declaration.indexOf(`export interface ${model} {`))
  return [...body.slice(0, body.indexOf('\n}')).matchAll(/^ {4}([A-Za-z0-9_]+): /gm)].map((match) => match[1]!)
}

function assertSurvives(sent: unknown, kept: unknown, path: string): void {
  if (Array.isArray(sent)) {
    assert.ok(Array.isArray(kept), `${path}: the reader did not keep the array`)
    sent.forEach((item, index) => {
      assertSurvives(item, (kept as unknown[])[index], `${path}[${index}]`)
    })
    return
  }
  if (sent !== null && typeof sent === 'object') {
    assert.ok(kept !== null && typeof kept === 'object', `${path}: the reader did not keep the object`)
    for (const [name, value] of Object.entries(sent)) {
      if (value === undefined) continue
      assert.ok(name in (kept as object), `${path}.${name}: not a member of Dynamic's model (the reader drops it)`)
      assertSurvives(value, (kept as Record<string, unknown>)[name], `${path}.${name}`)
    }
    return
  }
  assert.deepEqual(kept, sent, `${path}: the reader changed the value`)
}

/**
 * Asserts that `json` reads as Dynamic's `model` (e.g. `VerifyResponse`, `SdkUser`, `DynamicJwt`):
 * nothing lost, nothing required missing. Returns what the reader made of it.
 */
export function assertModel(model: string, json: unknown): Record<string, unknown> {
  const api = models as unknown as Record<string, (value: unknown) => unknown>
  const fromJSON = api[`${model}FromJSON`]
  const toJSON = api[`${model}ToJSON`]
  assert.ok(fromJSON && toJSON, `no model ${model} in @dynamic-labs/sdk-api-core`)
  const read = fromJSON(json) as Record<string, unknown>
  for (const member of requiredMembers(model))
    assert.notEqual(read[member], undefined, `${model}.${member} is required by Dynamic's model`)
  assertSurvives(json, JSON.parse(JSON.stringify(toJSON(read))), model)
  return read
}
