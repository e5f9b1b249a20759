/**
 * The local revocation set: what every store keeps in process so that the per-request check is a
 * map lookup, never I/O. Two kinds of entry:
 *
 * - a session (`sid`): refuses every token whose `sid` or `originalSid` is that id, so a token
 *   refreshed from a revoked session is refused too;
 * - a user (`sub` + `before`): refuses every token of that user issued before `before`
 *   ("sign out everywhere"). A token without `iat` cannot prove it is newer, so it is refused.
 *
 * Each entry carries the time after which no token it covers can still be valid; it then expires
 * by itself (lazily on lookup, and in sweeps), so the set stays bounded by the revocation rate
 * times the longest token lifetime.
 */

/** One revocation, as stored and shared. Times are ms since the epoch. */
export type RevocationEntry =
  | {
      /** One session revoked. */
      readonly type: 'session'
      /** The session id (`sid`): its tokens, and those of sessions refreshed from it, are refused. */
      readonly sid: string
      /** When the entry can be dropped (ms since the epoch): once every token it refuses has expired. */
      readonly expiresAt: number
    }
  | {
      /** Every token of a user issued before a time revoked. */
      readonly type: 'user'
      /** The user id (`sub`). */
      readonly sub: string
      /** Tokens issued before this time (`iat`, ms since the epoch) are refused. */
      readonly before: number
      /** When the entry can be dropped (ms since the epoch): once every token it refuses has expired. */
      readonly expiresAt: number
    }

/** The claims a revocation check reads. */
export interface RevocationSubject {
  /** The user id (`sub`) of the token. */
  readonly sub: string
  /** The session id (`sid`) of the token, if any. */
  readonly sid?: string | undefined
  /** The session the token's session was refreshed from (`originalSid`), if any. */
  readonly originalSid?: string | undefined
  /** Seconds since the epoch. */
  readonly iat?: number | undefined
}

const SWEEP_EVERY_MS = 60_000
const MAX_ID_LENGTH = 256

/** True when `entry` is a well-formed {@link RevocationEntry} (used on data read from outside). */
export function isRevocationEntry(entry: unknown): entry is RevocationEntry {
  if (typeof entry !== 'object' || entry === null) return false
  const e = entry as Record<string, unknown>
  if (typeof e.expiresAt !== 'number' || !Number.isFinite(e.expiresAt)) return false
  if (e.type === 'session') return isId(e.sid)
  if (e.type === 'user') return isId(e.sub) && typeof e.before === 'number' && Number.isFinite(e.before)
  return false
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH
}

/** The in-process set of live revocations. */
export class RevocationSet {
  private readonly sessions = new Map<string, number>()
  private readonly users = new Map<string, { before: number; expiresAt: number }>()
  private lastSweep: number

  constructor(private readonly clock: () => number = Date.now) {
    this.lastSweep = clock()
  }

  /** How many live entries (expired ones may still count until the next sweep). */
  get size(): number {
    return this.sessions.size + this.users.size
  }

  /**
   * Adds an entry; keeps the later expiry, and for users the later `before`.
   * Returns true when the set changed.
   */
  add(entry: RevocationEntry): boolean {
    const now = this.clock()
    if (now - this.lastSweep > SWEEP_EVERY_MS) this.sweep(now)
    if (entry.expiresAt <= now) return false
    if (entry.type === 'session') {
      const known = this.sessions.get(entry.sid)
      if (known !== undefined && known >= entry.expiresAt) return false
      this.sessions.set(entry.sid, entry.expiresAt)
      return true
    }
    const known = this.users.get(entry.sub)
    if (known && known.before >= entry.before && known.expiresAt >= entry.expiresAt) return false
    this.users.set(entry.sub, {
      before: Math.max(entry.before, known?.before ?? -Infinity),
      expiresAt: Math.max(entry.expiresAt, known?.expiresAt ?? -Infinity),
    })
    return true
  }

  /** The hot path: true when a token with these claims is revoked. */
  has(subject: RevocationSubject): boolean {
    if (this.sessions.size > 0) {
      const { sid, originalSid } = subject
      if (sid !== undefined && this.sessionRevoked(sid)) return true
      if (originalSid !== undefined && originalSid !== sid && this.sessionRevoked(originalSid)) return true
    }
    if (this.users.size > 0) {
      const user = this.users.get(subject.sub)
      if (user !== undefined) {
        if (user.expiresAt <= this.clock()) {
          this.users.delete(subject.sub)
          return false
        }
        const iat = subject.iat
        // No iat: the token cannot show it was issued after the revocation.
        return typeof iat !== 'number' || iat * 1000 < user.before
      }
    }
    return false
  }

  /** Every live entry, for writing back to a shared store. */
  entries(): RevocationEntry[] {
    const now = this.clock()
    this.sweep(now)
    const out: RevocationEntry[] = []
    for (const [sid, expiresAt] of this.sessions) out.push({ type: 'session', sid, expiresAt })
    for (const [sub, { before, expiresAt }] of this.users) out.push({ type: 'user', sub, before, expiresAt })
    return out
  }

  /** Drops the entries no token can still need. */
  sweep(now = this.clock()): void {
    this.lastSweep = now
    for (const [sid, expiresAt] of this.sessions) if (expiresAt <= now) this.sessions.delete(sid)
    for (const [sub, user] of this.users) if (user.expiresAt <= now) this.users.delete(sub)
  }

  private sessionRevoked(sid: string): boolean {
    const expiresAt = this.sessions.get(sid)
    if (expiresAt === undefined) return false
    if (expiresAt <= this.clock()) {
      this.sessions.delete(sid)
      return false
    }
    return true
  }
}
