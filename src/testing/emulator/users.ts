/**
 * The emulated environment's users, in memory: one per email address, created at the first
 * sign-in, with the information fields `PUT users` sets. Rendered as Dynamic's `SdkUser` (camelCase
 * members; the credentials keep the JWT's wire names, as Dynamic's API sends them).
 */
import { randomUUID } from 'node:crypto'
import { INFORMATION_FIELDS, type InformationField } from './options.js'
import type { InformationFieldSetting } from './settings.js'

/** An email credential, with the members Dynamic's `JwtVerifiedCredential` puts on the wire. */
export interface EmailCredential {
  id: string
  format: 'email'
  email: string
  public_identifier: string
  signInEnabled: true
  verifiedAt: string
}

/** A user of the emulated environment. */
export interface EmulatedUser {
  readonly id: string
  readonly email: string
  readonly credential: EmailCredential
  readonly createdAt: Date
  lastVisit: Date
  /** True until the user signs in a second time. */
  newUser: boolean
  /** Information fields set through `PUT users` (camelCase, as Dynamic's `UserFields`). */
  readonly fields: Partial<Record<InformationField, unknown>>
  metadata: Record<string, unknown>
}

/** The fields a user still owes among `required`, as `kyc` entries. */
export function missingFields(user: EmulatedUser, settings: readonly InformationFieldSetting[]): InformationFieldSetting[] {
  return settings.filter((field) => field.required && field.name !== 'email' && !present(user.fields[field.name]))
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && value !== false
}

const MAX_FIELD_LENGTH = 256

/** The users of one emulator. */
export class UserStore {
  private readonly byId = new Map<string, EmulatedUser>()
  private readonly idsByEmail = new Map<string, string>()

  /** The user of `email`, created on first use. */
  signIn(email: string): EmulatedUser {
    const key = email.toLowerCase()
    const existing = this.idsByEmail.get(key)
    const now = new Date()
    if (existing) {
      const user = this.byId.get(existing)!
      user.newUser = false
      user.lastVisit = now
      return user
    }
    const user: EmulatedUser = {
      id: randomUUID(),
      email,
      credential: { id: randomUUID(), format: 'email', email, public_identifier: email, signInEnabled: true, verifiedAt: now.toISOString() },
      createdAt: now,
      lastVisit: now,
      newUser: true,
      fields: { email },
      metadata: {},
    }
    this.byId.set(user.id, user)
    this.idsByEmail.set(key, user.id)
    return user
  }

  byEmail(email: string): EmulatedUser | undefined {
    const id = this.idsByEmail.get(email.toLowerCase())
    return id === undefined ? undefined : this.byId.get(id)
  }

  get(id: string): EmulatedUser | undefined {
    return this.byId.get(id)
  }

  /** Removes the user; returns it, or undefined when there was none. */
  delete(id: string): EmulatedUser | undefined {
    const user = this.byId.get(id)
    if (!user) return undefined
    this.byId.delete(id)
    this.idsByEmail.delete(user.email.toLowerCase())
    return user
  }

  /**
   * Applies a `PUT users` body (Dynamic's `UserFields`). Unknown members are ignored, as Dynamic's
   * client strips them; a known one of the wrong type is an error message. The email cannot change
   * here (Dynamic verifies a new email first).
   */
  update(user: EmulatedUser, body: Record<string, unknown>): string | undefined {
    for (const name of INFORMATION_FIELDS) {
      if (!(name in body) || name === 'email') continue
      const value = body[name]
      if (value === null || value === undefined) {
        delete user.fields[name]
        continue
      }
      if (name === 'policiesConsent') {
        if (typeof value !== 'boolean') return '"policiesConsent" must be true or false.'
      } else if (typeof value !== 'string' || value.length > MAX_FIELD_LENGTH) return `"${name}" must be a string of at most ${MAX_FIELD_LENGTH} characters.`
      user.fields[name] = value
    }
    if ('metadata' in body && body.metadata !== undefined) {
      if (typeof body.metadata !== 'object' || body.metadata === null || Array.isArray(body.metadata) || JSON.stringify(body.metadata).length > 4096) {
        return '"metadata" must be an object of at most 4096 characters of JSON.'
      }
      user.metadata = body.metadata as Record<string, unknown>
    }
    return undefined
  }
}

/** The user as Dynamic's SDK API answers it (`SdkUser`). */
export function sdkUser(user: EmulatedUser, input: { environmentId: string; sessionId?: string; scope?: string; missing?: InformationFieldSetting[] }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: user.id,
    projectEnvironmentId: input.environmentId,
    verifiedCredentials: [user.credential],
    lastVerifiedCredentialId: user.credential.id,
    email: user.email,
    firstVisit: user.createdAt.toISOString(),
    lastVisit: user.lastVisit.toISOString(),
    newUser: user.newUser,
    metadata: user.metadata,
    lists: [],
  }
  for (const [name, value] of Object.entries(user.fields)) if (value !== undefined) out[name] = value
  if (input.sessionId !== undefined) out.sessionId = input.sessionId
  if (input.scope !== undefined) out.scope = input.scope
  if (input.missing !== undefined) out.missingFields = input.missing
  return out
}
