/**
 * `createDynamicAuth`: where the verifier is put together with what it does not know of itself:
 * the options validated, the runtime's crypto backend, and the telemetry's hooks.
 */
import { DynamicAuthConfigError } from './errors.js'
import { resolveOptions, type DynamicAuthOptions } from './options.js'
import { defaultBackend } from './signature/default.js'
import { Verifier, type DynamicAuth } from './verifier.js'
import { verifierHooks } from './observability/observe-verifier.js'
import { hasEnvironments, planEnvironments, type DynamicAuthEnvironmentsOptions } from './environments/options.js'
import { EnvironmentsVerifier } from './environments/verifier.js'

/**
 * Creates a verifier for one Dynamic environment (`environmentId`), or for several
 * (`environments`: a project's live and sandbox, say; see {@link DynamicAuthEnvironmentsOptions}).
 * Throws {@link DynamicAuthConfigError} at once for a bad configuration.
 *
 * @example
 * const auth = createDynamicAuth({ environmentId: process.env.DYNAMIC_ENVIRONMENT_ID! })
 * const session = await auth.verifyToken(token) // session.userId, session.scopes, ...
 */
export function createDynamicAuth(options: DynamicAuthOptions | DynamicAuthEnvironmentsOptions): DynamicAuth {
  if (typeof options === 'object' && options !== null && hasEnvironments(options)) return createEnvironments(options)
  const single = options as DynamicAuthOptions
  const config = resolveOptions(single)
  const backend = single.advanced?.signatureBackend ?? defaultBackend()
  return new Verifier(config, backend, verifierHooks(config, single.telemetry))
}

/** One verifier per environment, behind a router. */
function createEnvironments(options: DynamicAuthEnvironmentsOptions): DynamicAuth {
  const planned = planEnvironments(options)
  // The shared options alone first, so that their mistakes are not told as one environment's.
  const { jwks: _jwks, issuer: _issuer, staticKeys: _keys, ...shared } = planned[0]!.options
  const sharedJwks = options.jwks === undefined ? {} : { jwks: options.jwks }
  const { maxTokenLength, oneTimeStore } = resolveOptions({ ...shared, ...sharedJwks, environmentId: planned[0]!.id })
  const backend = options.advanced?.signatureBackend ?? defaultBackend()
  const verifiers = planned.map((environment, index) => {
    let config: ReturnType<typeof resolveOptions>
    try {
      // One one-time store for every environment: a single-use id is spent everywhere at once.
      config = resolveOptions({ ...environment.options, oneTimeStore })
    } catch (error) {
      if (!(error instanceof DynamicAuthConfigError)) throw error
      // Say which environment: the shared options are checked with each.
      const label =
        environment.name === undefined ? `environments[${index}]` : `environments[${index}] (${environment.name})`
      throw new DynamicAuthConfigError(error.message.replace(/^dynamic-guard: /, `dynamic-guard: ${label}: `))
    }
    return new Verifier(config, backend, verifierHooks(config, options.telemetry), environment.name)
  })
  return new EnvironmentsVerifier(verifiers, maxTokenLength)
}
