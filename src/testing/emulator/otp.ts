/**
 * Email one-time codes. The emulator sends no email: each code is kept (the last one per address
 * is readable at `GET /emulator/otp?email=`) and reported through `onOtp`. A verification is good
 * for 10 minutes and 5 wrong tries, and for one sign-in.
 */
import { randomInt, randomUUID } from 'node:crypto'

interface Verification {
  readonly uuid: string
  readonly email: string
  readonly code: string
  readonly expiresAt: number
  failures: number
}

const LIFETIME_MS = 10 * 60 * 1000
const MAX_FAILURES = 5
const MAX_PENDING = 10_000

/** Why a code was not accepted. */
export type OtpRefusal = 'unknown_verification' | 'expired' | 'too_many_attempts' | 'wrong_code'

/** The codes of one emulator. */
export class OtpCodes {
  private readonly pending = new Map<string, Verification>()
  private readonly last = new Map<string, string>()

  constructor(private readonly fixedCode: string | undefined) {}

  /** Starts a verification for `email`; returns its UUID and code. */
  create(email: string): { verificationUUID: string; code: string } {
    this.sweep()
    const code = this.fixedCode ?? String(randomInt(0, 1_000_000)).padStart(6, '0')
    const uuid = randomUUID()
    this.pending.set(uuid, { uuid, email, code, expiresAt: Date.now() + LIFETIME_MS, failures: 0 })
    this.last.set(email.toLowerCase(), code)
    return { verificationUUID: uuid, code }
  }

  /** The last code sent to `email`. */
  lastCode(email: string): string | undefined {
    return this.last.get(email.toLowerCase())
  }

  /** Consumes the verification when `code` is right; otherwise says why not. */
  redeem(uuid: string, code: string): { email: string } | OtpRefusal {
    const verification = this.pending.get(uuid)
    if (!verification) return 'unknown_verification'
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
    return { email: verification.email }
  }

  private sweep(): void {
    const now = Date.now()
    for (const [uuid, verification] of this.pending) if (verification.expiresAt <= now) this.pending.delete(uuid)
    // Bounded: the oldest verifications go first.
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string)
  }
}
