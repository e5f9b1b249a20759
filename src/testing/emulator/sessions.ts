/**
 * Sessions of the emulated environment, in memory. A session is named by the `sid` of its first
 * tokens; a refresh gives new tokens a new `sid` and keeps that first one as `originalSid`, so
 * every token of a session carries the session id in `sid` or `originalSid` (which is what a
 * verifier revokes by). Tokens are known by value: only tokens this emulator handed out authenticate.
 */
import { randomUUID } from 'node:crypto'

/** One session. */
export interface EmulatedSession {
  /** The session id: the `sid` of its first tokens, and the `originalSid` of all of them. */
  readonly id: string
  readonly userId: string
  /** The `sid` of its newest tokens. */
  currentSid: string
  readonly createdAt: Date
  revokedAt: Date | null
  readonly ipAddress: string | null
  readonly userAgent: string | null
  /** The `aud` of its tokens (the signing-in page's origin, when there was one). */
  readonly audience: string | undefined
  /** MFA still to complete (the project requires MFA). */
  mfaPending: boolean
  /** The credential the session was opened with (its tokens' `signin_credential_id`). */
  readonly signInCredentialId: string
  /** The client's session key (compressed P-256 hex) given at sign-in: its tokens' `session_public_key`. */
  readonly sessionPublicKey: string | undefined
  /** Opened by a headless (server-side) sign-in: its tokens carry `server_auth: true`. */
  readonly serverAuth: boolean
}

/** Dynamic's `Session` object, as its webhooks and admin API describe it. */
export interface SessionObject {
  /** The session id. */
  id: string
  /** When the session started (ISO 8601). */
  createdAt: string
  /** The IP address it was created from, if known. */
  ipAddress: string | null
  /** The User-Agent it was created with, if known. */
  userAgent: string | null
  /** When it was revoked (ISO 8601), or null. */
  revokedAt: string | null
}

/** The Session object of `session`. */
export function sessionObject(session: EmulatedSession): SessionObject {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    ipAddress: session.ipAddress,
    userAgent: session.userAgent,
    revokedAt: session.revokedAt ? session.revokedAt.toISOString() : null,
  }
}

interface IssuedToken {
  readonly sessionId: string
  readonly exp: number
}

/** The sessions of one emulator. */
export class SessionStore {
  private readonly sessions = new Map<string, EmulatedSession>()
  private readonly sids = new Map<string, string>()
  private readonly tokens = new Map<string, IssuedToken>()

  create(input: Omit<EmulatedSession, 'id' | 'currentSid' | 'createdAt' | 'revokedAt'>): EmulatedSession {
    const id = randomUUID()
    const session: EmulatedSession = { id, currentSid: id, createdAt: new Date(), revokedAt: null, ...input }
    this.sessions.set(id, session)
    this.sids.set(id, id)
    return session
  }

  /** A new `sid` for the session's next tokens. */
  rotate(session: EmulatedSession): string {
    const sid = randomUUID()
    session.currentSid = sid
    this.sids.set(sid, session.id)
    return sid
  }

  /** Remembers tokens handed out for `session`, valid until `exp` (seconds). */
  remember(session: EmulatedSession, tokens: readonly string[], exp: number): void {
    this.sweep()
    for (const token of tokens) this.tokens.set(token, { sessionId: session.id, exp })
  }

  /** The session of a token this emulator handed out, while the token has not expired. */
  byToken(token: string): EmulatedSession | undefined {
    const issued = this.tokens.get(token)
    if (!issued) return undefined
    if (issued.exp * 1000 <= Date.now()) return undefined
    return this.sessions.get(issued.sessionId)
  }

  /** The session named by a session id or by any `sid` of its tokens. */
  bySid(sid: string): EmulatedSession | undefined {
    const id = this.sids.get(sid)
    return id === undefined ? undefined : this.sessions.get(id)
  }

  /** The user's sessions. */
  ofUser(userId: string): EmulatedSession[] {
    return [...this.sessions.values()].filter((session) => session.userId === userId)
  }

  private sweep(): void {
    const now = Date.now() / 1000
    for (const [token, issued] of this.tokens) if (issued.exp <= now) this.tokens.delete(token)
  }
}
