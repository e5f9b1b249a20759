/**
 * What the Node-style adapters (Express, Koa) share: a refusal travels through the framework's
 * own error handling as the DynamicAuthError itself, dressed the way those frameworks read
 * errors (`status`, `statusCode`, `expose`, `headers`), so their default handlers already answer
 * with the right status and challenge, and never print a stack trace.
 */
import type { DynamicAuthError } from '../errors.js'
import { refusalFor, type Refusal } from '../http/refusal.js'

const REFUSAL = Symbol.for('dynamic-guard.refusal')

/** A DynamicAuthError carrying its HTTP answer. */
export type RefusedError = DynamicAuthError & { readonly statusCode: number; readonly expose: true; readonly headers: Readonly<Record<string, string>> }

/** Dresses a refusal for a framework's error handling. */
export function dressRefusal(error: DynamicAuthError, realm: string, scopes: readonly string[] | undefined): RefusedError {
  const refusal = refusalFor(error, scopes ? { realm, scopes } : { realm })
  const headers: Record<string, string> = {}
  for (const name in refusal.headers) if (name !== 'content-type') headers[name] = refusal.headers[name]!
  Object.defineProperties(error, {
    [REFUSAL]: { value: refusal, configurable: true },
    statusCode: { value: refusal.status, configurable: true },
    expose: { value: true, configurable: true },
    headers: { value: headers, configurable: true, enumerable: false },
    // A refusal is deliberate; its message says everything. Frameworks that print err.stack in
    // development print this line rather than file paths.
    stack: { value: `DynamicAuthError [${error.code}]: ${error.message}`, configurable: true, writable: true },
  })
  return error as RefusedError
}

/** The HTTP answer a dressed refusal carries, or one built with the default realm. */
export function refusalOf(error: DynamicAuthError, realm?: string): Refusal {
  const carried = (error as unknown as Record<symbol, Refusal | undefined>)[REFUSAL]
  return carried ?? refusalFor(error, realm === undefined ? {} : { realm })
}
