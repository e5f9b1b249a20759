/**
 * The default crypto backend on Node (and Bun and Deno, which provide node:crypto).
 * Builds for runtimes without node:crypto swap this module for `default.web.ts`.
 */
import type { SignatureBackend } from './backend.js'
import { nodeBackend } from './node.js'

/** The backend used when the options name none. */
export function defaultBackend(): SignatureBackend {
  return nodeBackend
}
