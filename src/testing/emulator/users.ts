/**
 * The emulated environment's users, in memory: created at the first sign-in, by email code or by
 * wallet, holding verified credentials (emails and wallets) that can be linked and unlinked, and
 * the information fields `PUT users` sets. Rendered as Dynamic's `SdkUser` (camelCase members;
 * the credentials keep the JWT's wire names, as Dynamic's API sends them).
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

/** A wallet credential (`format: "blockchain"`), with the members Dynamic's `JwtVerifiedCredential` puts on the wire. */
export interface WalletCredential {
  id: string
  format: 'blockchain'
  /** EIP-55 checksummed for EVM; base58 for Solana. */
  address: string
  /** The credential's chain name (`eip155` for EVM, `solana`), as Dynamic's client maps it back to its chains. */
  chain: string
  /** The wallet's name as Dynamic's client sends it (`normalizeWalletNameWithChain`: `metamaskevm`). */
  wallet_name: string
  /** Dynamic's `WalletProviderEnum`: `browserExtension`, … */
  wallet_provider: string
  public_identifier: string
  signInEnabled: true
  name_service: Record<string, never>
  wallet_properties: Record<string, never>
  lastSelectedAt: string
  verifiedAt: string
}

/** A phone number credential (`format: "phoneNumber"`), with the members Dynamic's `JwtVerifiedCredential` puts on the wire. */
export interface PhoneCredential {
  id: string
  format: 'phoneNumber'
  /** The national number, as the client sent it. */
  phoneNumber: string
  /** The country calling code, without `+` (`1`, `44`). */
  phoneCountryCode: string
  /** ISO 3166 alpha-2 (`US`). */
  isoCountryCode: string
  /** E.164: `+<country code><number>`. */
  public_identifier: string
  signInEnabled: true
  verifiedAt: string
}

/** A phone number a code was sent to. */
export interface VerifiedPhone {
  phoneNumber: string
  phoneCountryCode: string
  isoCountryCode: string
}

/** A phone number in E.164. */
export const e164 = (phone: VerifiedPhone): string => `+${phone.phoneCountryCode}${phone.phoneNumber}`

/** A verified credential of a user. */
export type UserCredential = EmailCredential | WalletCredential | PhoneCredential

/** What a wallet sign-in or link proved. */
export interface VerifiedWallet {
  address: string
  chain: string
  walletName: string
  walletProvider: string
}

/** A user of the emulated environment. */
export interface EmulatedUser {
  readonly id: string
  /** The user's email (the first one verified), or undefined for a user who only has wallets. */
  email: string | undefined
  /** Verified credentials, oldest first. */
  readonly credentials: UserCredential[]
  /** The credential verified most recently (a sign-in or a link). */
  lastVerifiedCredentialId: string
  readonly createdAt: Date
  lastVisit: Date
  /** True until the user signs in a second time. */
  newUser: boolean
  /** Information fields set through `PUT users` (camelCase, as Dynamic's `UserFields`). */
  readonly fields: Partial<Record<InformationField, unknown>>
  metadata: Record<string, unknown>
}

/** A sign-in's user, and whether it was created by it. */
export interface SignInOutcome {
  user: EmulatedUser
  created: boolean
  credential: UserCredential
}

/** Why a credential could not be linked or unlinked. */
export type CredentialRefusal = 'linked_to_another_user' | 'unknown_credential' | 'last_credential'

const emailKey = (email: string): string => `email:${email.toLowerCase()}`
// EVM addresses are case-insensitive (the case is only a checksum).
const walletKey = (wallet: { chain: string; address: string }): string =>
  `${wallet.chain}:${wallet.chain === 'eip155' ? wallet.address.toLowerCase() : wallet.address}`
const phoneKey = (phone: VerifiedPhone): string => `phone:${e164(phone)}`
const keyOf = (credential: UserCredential): string =>
  credential.format === 'email'
    ? emailKey(credential.email)
    : credential.format === 'phoneNumber'
      ? phoneKey(credential)
      : walletKey(credential)

function phoneCredential(phone: VerifiedPhone, now: Date): PhoneCredential {
  return {
    id: randomUUID(),
    format: 'phoneNumber',
    ...phone,
    public_identifier: e164(phone),
    signInEnabled: true,
    verifiedAt: now.toISOString(),
  }
}

function emailCredential(email: string, now: Date): EmailCredential {
  return {
    id: randomUUID(),
    format: 'email',
    email,
    public_identifier: email,
    signInEnabled: true,
    verifiedAt: now.toISOString(),
  }
}

function walletCredential(wallet: VerifiedWallet, now: Date): WalletCredential {
  return {
    id: randomUUID(),
    format: 'blockchain',
    address: wallet.address,
    chain: wallet.chain,
    wallet_name: wallet.walletName,
    wallet_provider: wallet.walletProvider,
    public_identifier: wallet.address,
    signInEnabled: true,
    name_service: {},
    wallet_properties: {},
    lastSelectedAt: now.toISOString(),
    verifiedAt: now.toISOString(),
  }
}

/** The fields a user still owes among `required`, as `kyc` entries. */
/** True when `user` holds the credential a verification proved (an email, a wallet or a phone number). */
export function holdsCredential(
  user: EmulatedUser,
  proof: { email: string } | { wallet: VerifiedWallet } | { phone: VerifiedPhone },
): boolean {
  const key =
    'email' in proof ? emailKey(proof.email) : 'wallet' in proof ? walletKey(proof.wallet) : phoneKey(proof.phone)
  return user.credentials.some((credential) => keyOf(credential) === key)
}

export function missingFields(
  user: EmulatedUser,
  settings: readonly InformationFieldSetting[],
): InformationFieldSetting[] {
  return settings.filter((field) => field.required && field.name !== 'email' && !present(user.fields[field.name]))
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && value !== false
}

const MAX_FIELD_LENGTH = 256

/** The users of one emulator. */
export class UserStore {
  private readonly byId = new Map<string, EmulatedUser>()
  /** Each credential's owner, by `email:<address>` or `<chain>:<address>`. */
  private readonly owners = new Map<string, string>()

  /** Signs in by email: the address's user, created on first use. */
  signInWithEmail(email: string): SignInOutcome {
    const existing = this.owners.get(emailKey(email))
    if (existing) return this.returning(this.byId.get(existing)!, emailKey(email))
    const now = new Date()
    const credential = emailCredential(email, now)
    return { user: this.create(credential, now, { email }), created: true, credential }
  }

  /** Signs in by wallet: the wallet's user, created on first use. */
  signInWithWallet(wallet: VerifiedWallet): SignInOutcome {
    const existing = this.owners.get(walletKey(wallet))
    if (existing) return this.returning(this.byId.get(existing)!, walletKey(wallet))
    const now = new Date()
    const credential = walletCredential(wallet, now)
    return { user: this.create(credential, now, {}), created: true, credential }
  }

  /** Signs in by SMS code: the phone number's user, created on first use (its `phoneNumber` field is the number). */
  signInWithPhone(phone: VerifiedPhone): SignInOutcome {
    const existing = this.owners.get(phoneKey(phone))
    if (existing) return this.returning(this.byId.get(existing)!, phoneKey(phone))
    const now = new Date()
    const credential = phoneCredential(phone, now)
    return { user: this.create(credential, now, { phoneNumber: e164(phone) }), created: true, credential }
  }

  /** Adds a phone number to `user` (or verifies it again when it is already theirs). */
  linkPhone(
    user: EmulatedUser,
    phone: VerifiedPhone,
  ): { credential: PhoneCredential; added: boolean } | CredentialRefusal {
    const linked = this.link(user, phoneKey(phone), () => phoneCredential(phone, new Date()))
    if (typeof linked !== 'string' && linked.added) user.fields.phoneNumber ??= e164(phone)
    return linked
  }

  /** Adds a wallet to `user` (or verifies it again when it is already theirs). */
  linkWallet(
    user: EmulatedUser,
    wallet: VerifiedWallet,
  ): { credential: WalletCredential; added: boolean } | CredentialRefusal {
    const now = new Date()
    return this.link(
      user,
      walletKey(wallet),
      () => walletCredential(wallet, now),
      (known) => (known.lastSelectedAt = now.toISOString()),
    )
  }

  /** Adds an email to `user` (or verifies it again when it is already theirs). */
  linkEmail(user: EmulatedUser, email: string): { credential: EmailCredential; added: boolean } | CredentialRefusal {
    const linked = this.link(user, emailKey(email), () => emailCredential(email, new Date()))
    if (typeof linked !== 'string' && linked.added && user.email === undefined) {
      user.email = email
      user.fields.email = email
    }
    return linked
  }

  /**
   * The one way a credential joins a user: refused when another user holds it; verified again
   * (`touch`, and made the last verified) when `user` already holds it; otherwise made and added.
   */
  private link<C extends UserCredential>(
    user: EmulatedUser,
    key: string,
    make: () => C,
    touch?: (known: C) => void,
  ): { credential: C; added: boolean } | CredentialRefusal {
    const owner = this.owners.get(key)
    if (owner && owner !== user.id) return 'linked_to_another_user'
    const known = user.credentials.find((credential) => keyOf(credential) === key) as C | undefined
    if (known) {
      touch?.(known)
      user.lastVerifiedCredentialId = known.id
      return { credential: known, added: false }
    }
    const credential = make()
    this.add(user, credential)
    return { credential, added: true }
  }

  /** Removes a credential from `user`; a user keeps at least one. */
  unlink(user: EmulatedUser, credentialId: string): UserCredential | CredentialRefusal {
    const index = user.credentials.findIndex((credential) => credential.id === credentialId)
    if (index < 0) return 'unknown_credential'
    if (user.credentials.length === 1) return 'last_credential'
    const [removed] = user.credentials.splice(index, 1) as [UserCredential]
    this.owners.delete(keyOf(removed))
    if (user.lastVerifiedCredentialId === removed.id)
      user.lastVerifiedCredentialId = user.credentials[user.credentials.length - 1]!.id
    if (removed.format === 'email' && user.email?.toLowerCase() === removed.email.toLowerCase()) {
      const next = user.credentials.find((credential): credential is EmailCredential => credential.format === 'email')
      user.email = next?.email
      if (next) user.fields.email = next.email
      else delete user.fields.email
    }
    return removed
  }

  byEmail(email: string): EmulatedUser | undefined {
    const id = this.owners.get(emailKey(email))
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
    for (const credential of user.credentials) this.owners.delete(keyOf(credential))
    return user
  }

  private create(credential: UserCredential, now: Date, fields: EmulatedUser['fields']): EmulatedUser {
    const user: EmulatedUser = {
      id: randomUUID(),
      email: credential.format === 'email' ? credential.email : undefined,
      credentials: [credential],
      lastVerifiedCredentialId: credential.id,
      createdAt: now,
      lastVisit: now,
      newUser: true,
      fields: { ...fields },
      metadata: {},
    }
    this.byId.set(user.id, user)
    this.owners.set(keyOf(credential), user.id)
    return user
  }

  private returning(user: EmulatedUser, key: string): SignInOutcome {
    const credential = user.credentials.find((known) => keyOf(known) === key)!
    const now = new Date()
    user.newUser = false
    user.lastVisit = now
    user.lastVerifiedCredentialId = credential.id
    if (credential.format === 'blockchain') credential.lastSelectedAt = now.toISOString()
    return { user, created: false, credential }
  }

  private add(user: EmulatedUser, credential: UserCredential): void {
    user.credentials.push(credential)
    user.lastVerifiedCredentialId = credential.id
    this.owners.set(keyOf(credential), user.id)
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
      } else if (typeof value !== 'string' || value.length > MAX_FIELD_LENGTH)
        return `"${name}" must be a string of at most ${MAX_FIELD_LENGTH} characters.`
      user.fields[name] = value
    }
    if ('metadata' in body && body.metadata !== undefined) {
      if (
        typeof body.metadata !== 'object' ||
        body.metadata === null ||
        Array.isArray(body.metadata) ||
        JSON.stringify(body.metadata).length > 4096
      ) {
        return '"metadata" must be an object of at most 4096 characters of JSON.'
      }
      user.metadata = body.metadata as Record<string, unknown>
    }
    return undefined
  }
}

/** The user as Dynamic's SDK API answers it (`SdkUser`). */
export function sdkUser(
  user: EmulatedUser,
  input: { environmentId: string; sessionId?: string; scope?: string; missing?: InformationFieldSetting[] },
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: user.id,
    projectEnvironmentId: input.environmentId,
    verifiedCredentials: user.credentials.map((credential) => ({ ...credential })),
    lastVerifiedCredentialId: user.lastVerifiedCredentialId,
    ...(user.email !== undefined ? { email: user.email } : {}),
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

/** Dynamic's wallet object, as `wallet.linked` and `wallet.unlinked` carry it: the credential's wallet and its owner. */
export function walletObject(user: EmulatedUser, credential: WalletCredential): Record<string, unknown> {
  return {
    id: credential.id,
    userId: user.id,
    name: credential.wallet_name,
    chain: credential.chain === 'solana' ? 'SOL' : 'EVM',
    publicKey: credential.address,
    provider: credential.wallet_provider,
    signInEnabled: credential.signInEnabled,
    lastSelectedAt: credential.lastSelectedAt,
    createdAt: credential.verifiedAt,
  }
}

/** Dynamic's `StepUpCredential`s of a user: the credentials the emulator can verify again (email, phone, wallet). */
export function stepUpCredentials(user: EmulatedUser): Array<{ id: string; format: UserCredential['format'] }> {
  return user.credentials.map((credential) => ({ id: credential.id, format: credential.format }))
}
