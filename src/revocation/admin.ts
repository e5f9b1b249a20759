/**
 * Revoking: the entries `auth.revokeSession(sid)` and `auth.revokeUser(sub)` add to the store,
 * checked and given their expiry. A revocation covers tokens issued up to its time; none of them
 * outlives `retentionMs` (the longest token lifetime plus the clock tolerance), so neither does it.
 */
import type { RevocationEntry } from './revocation-set.js'

const MAX_ID_LENGTH = 256

function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new TypeError(`dynamic-guard: ${name} must be a string of 1 to ${MAX_ID_LENGTH} characters.`)
  }
  return value
}

/** The entry refusing every token of session `sid` (or a session refreshed from it). Throws TypeError for a bad sid. */
export function sessionRevocation(sid: string, now: number, retentionMs: number): RevocationEntry {
  checkId('revokeSession(sid): sid', sid)
  return { type: 'session', sid, expiresAt: now + retentionMs }
}

/** The entry refusing every token of user `sub` issued before `before` (default: now). Throws TypeError for bad arguments. */
export function userRevocation(
  sub: string,
  before: Date | number | undefined,
  now: number,
  retentionMs: number,
): RevocationEntry {
  checkId('revokeUser(sub): sub', sub)
  const at = before === undefined ? now : before instanceof Date ? before.getTime() : before
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    throw new TypeError('dynamic-guard: revokeUser(sub, { before }): before must be a Date or ms since the epoch.')
  }
  return { type: 'user', sub, before: at, expiresAt: at + retentionMs }
}
