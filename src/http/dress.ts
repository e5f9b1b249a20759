/**
 * A refusal handed to a framework's error handling travels as the DynamicAuthError itself,
 * dressed the way frameworks read errors (`status`, `statusCode`, `expose`, `headers`), so their
 * default handlers answer with the right status and challenge, and never print a stack trace.
 */
import type { DynamicAuthError } from '../errors.js'
import { refusalFor, type Refusal } from './refusal.js'

const REFUSAL = Symbol.for('dynamic-guard.refusal')

/** A DynamicAuthError carrying its HTTP answer. */
export type RefusedError = DynamicAuthError & {
  readonly statusCode: number
  readonly expose: true
  readonly headers: Readonly<Record<string, string>>
}

/** Dresses a refusal, given its HTTP answer, for a framework's error handling. */
export function dressRefusal(error: DynamicAuthError, refusal: Refusal): RefusedError {
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

/** The HTTP answer a dressed refusal carries, or one built with `realm` (default `api`). */
export function forwardedRefusal(error: DynamicAuthError, realm?: string): Refusal {
  const carried = (error as unknown as Record<symbol, Refusal | undefined>)[REFUSAL]
  return carried ?? refusalFor(error, realm === undefined ? {} : { realm })
}
