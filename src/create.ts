/**
 * `createDynamicAuth`: where the verifier is put together with what it does not know of itself:
 * the options validated, the runtime's crypto backend, and the telemetry's hooks.
 */
import type { DynamicAuthConfigError } from './errors.js'
import { resolveOptions, type DynamicAuthOptions } from './options.js'
import { defaultBackend } from './signature/default.js'
import { Verifier, type DynamicAuth } from './verifier.js'
import { verifierHooks } from './observability/observe-verifier.js'

/**
 * Creates a verifier for one Dynamic environment. Throws {@link DynamicAuthConfigError} at once
 * for a bad configuration.
 *
 * @example
 * const auth = createDynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! })
 * const session = await auth.verifyToken(token) // session.userId, session.scopes, ...
 */
export function createDynamicAuth(options: DynamicAuthOptions): DynamicAuth {
  const config = resolveOptions(options)
  const backend = options.advanced?.signatureBackend ?? defaultBackend()
  return new Verifier(config, backend, verifierHooks(config, options.telemetry))
}
