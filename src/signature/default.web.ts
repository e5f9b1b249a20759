/** The default crypto backend where node:crypto is absent (Cloudflare Workers, edge runtimes). */
import type { SignatureBackend } from './backend.js'
import { webCryptoBackend } from './webcrypto.js'

/** The backend used when the options name none. */
export function defaultBackend(): SignatureBackend {
  return webCryptoBackend
}
