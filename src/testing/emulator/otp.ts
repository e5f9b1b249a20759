/**
 * One-time codes, by email or by SMS. The emulator sends no email and no text message: each code
 * is kept (the last one per address or phone number is readable at `GET /emulator/otp?email=` or
 * `?phone=`) and reported through `onOtp` / `onSmsOtp`. A verification is good for 10 minutes and
 * 5 wrong tries, and for one sign-in, through its own channel only.
 */
import { randomInt, randomUUID } from 'node:crypto'

/** Where a code went: an email address, or a phone number in E.164 (`+15555550123`). */
export type OtpChannel = 'email' | 'sms'

interface Verification {
  readonly uuid: string
  readonly channel: OtpChannel
  /** The email address, or the phone number in E.164. */
  readonly target: string
  readonly code: string
  readonly expiresAt: number
  failures: number
}

const LIFETIME_MS = 10 * 60 * 1000
const MAX_FAILURES = 5
const MAX_PENDING = 10_000

/** Why a code was not accepted. */
export type OtpRefusal = 'unknown_verification' | 'expired' | 'too_many_attempts' | 'wrong_code'

const keyOf = (target: string): string => target.toLowerCase()

/** The codes of one emulator. */
export class OtpCodes {
  private readonly pending = new Map<string, Verification>()
  private readonly last = new Map<string, string>()

  constructor(private readonly fixedCode: string | undefined) {}

  /** Starts a verification for `target` (an email, or a phone number in E.164); returns its UUID and code. */
  create(target: string, channel: OtpChannel = 'email'): { verificationUUID: string; code: string } {
    this.sweep()
    const code = this.fixedCode ?? String(randomInt(0, 1_000_000)).padStart(6, '0')
    const uuid = randomUUID()
    this.pending.set(uuid, { uuid, channel, target, code, expiresAt: Date.now() + LIFETIME_MS, failures: 0 })
    this.last.set(keyOf(target), code)
    return { verificationUUID: uuid, code }
  }

  /** The last code sent to `target` (an email, or a phone number in E.164). */
  lastCode(target: string): string | undefined {
    return this.last.get(keyOf(target))
  }

  /** Consumes the verification when `code` is right and it went through `channel`; otherwise says why not. */
  redeem(uuid: string, code: string, channel: OtpChannel = 'email'): { target: string } | OtpRefusal {
    const verification = this.pending.get(uuid)
    if (!verification || verification.channel !== channel) return 'unknown_verification'
    if (verification.expiresAt <= Date.now()) {
      this.pending.delete(uuid)
      return 'expired'
    }
    if (verification.failures >= MAX_FAILURES) return 'too_many_attempts'
    if (code !== verification.code) {
      verification.failures++
      return 'wrong_code'
    }
    this.pending.delete(uuid)
    return { target: verification.target }
  }

  private sweep(): void {
    const now = Date.now()
    for (const [uuid, verification] of this.pending) if (verification.expiresAt <= now) this.pending.delete(uuid)
    // Bounded: the oldest verifications go first.
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string)
  }
}
