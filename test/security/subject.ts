/**
 * The code under test, loaded from one place. By default that is this checkout's `src/`; the
 * mutation check (`scripts/mutants.ts`) points DYNAMIC_GUARD_SRC at a copy of `src/` with one
 * deliberate weakness, to prove the security tests fail when a defence is missing.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const override = process.env.DYNAMIC_GUARD_SRC
const base = override ? pathToFileURL(`${resolve(override)}/`).href : new URL('../../src/', import.meta.url).href

/** True when the tests run against a copy of the source (a mutant), not the checkout. */
export const underMutation = Boolean(override)

function load<T>(path: string): Promise<T> {
  return import(new URL(path, base).href) as Promise<T>
}

const core = await load<typeof import('../../src/index.js')>('index.ts')
const extend = await load<typeof import('../../src/extend.js')>('extend.ts')
const base64url = await load<typeof import('../../src/parse/base64url.js')>('parse/base64url.ts')
const jwk = await load<typeof import('../../src/keys/jwk.js')>('keys/jwk.ts')
const node = await load<typeof import('../../src/signature/node.js')>('signature/node.ts')

export const { createDynamicAuth, DynamicAuthError, DynamicAuthConfigError, isDynamicAuthError } = core
export const { webCryptoBackend } = extend
/** The environment the tests' verifiers are bound to. */
export const TEST_ENVIRONMENT_ID = '2762a57b-faa4-41ce-9f16-abff9300e2c9'
/** Another environment (a replay source). */
export const OTHER_ENVIRONMENT_ID = '11111111-2222-4333-8444-555555555555'
export const { encodeBase64url } = base64url
export const { acceptJwk } = jwk
export const { nodeBackend } = node
export type { DynamicAuth, DynamicAuthOptions, DynamicSession } from '../../src/index.js'

/** Loads another module of the source under test, e.g. `adapters/express.ts`. */
export function loadSource<T>(path: string): Promise<T> {
  return load<T>(path)
}
