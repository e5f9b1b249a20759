/**
 * The emulator's options (what `createTestIssuer().listen()` and `dynamic-guard dev` take),
 * checked at once so that a typo is an error at start-up, not a silently different project.
 */

/** The information fields Dynamic's dashboard can require (the names of its `kyc` settings). */
export const INFORMATION_FIELDS = [
  'email',
  'alias',
  'firstName',
  'lastName',
  'username',
  'jobTitle',
  'phoneNumber',
  'country',
  'tShirtSize',
  'team',
  'policiesConsent',
] as const

/** One of {@link INFORMATION_FIELDS}. */
export type InformationField = (typeof INFORMATION_FIELDS)[number]

/** A code the emulator sent, as {@link EmulatorOptions.onOtp} receives it. */
export interface EmulatorOtp {
  /** The address the code was sent to. */
  readonly email: string
  /** The one-time code. */
  readonly code: string
  /** The id of the verification the code completes. */
  readonly verificationUUID: string
}

/** A code the emulator texted, as {@link EmulatorOptions.onSmsOtp} receives it. */
export interface EmulatorSmsOtp {
  /** E.164: `+15555550123`. */
  readonly phone: string
  /** The one-time code. */
  readonly code: string
  /** The id of the verification the code completes. */
  readonly verificationUUID: string
}

/** Where the emulator sends Dynamic's webhooks. */
export interface EmulatorWebhookOptions {
  /** The endpoint (`http:` or `https:`). */
  url: string
  /** The secret the `x-dynamic-signature-256` HMAC is keyed with. */
  secret: string
  /**
   * The waits (ms) before each retry of a failed delivery. Default `[10000, 50000]`: as Dynamic's
   * sandbox, two retries, the last about a minute after the first attempt. `[]` never retries; a
   * test compresses the schedule with, say, `[20, 20]`.
   */
  retryDelaysMs?: readonly number[]
}

/** How the emulated Dynamic project is set up, and what the emulator reports. */
export interface EmulatorOptions {
  /** Every code (email and SMS) is this one (4 to 12 digits) instead of a random 6-digit code. */
  otpCode?: string
  /** Called with every code sent (the emulator sends no email). */
  onOtp?: (otp: EmulatorOtp) => void
  /** Called with every code texted (the emulator sends no text message). */
  onSmsOtp?: (otp: EmulatorSmsOtp) => void
  /**
   * Information the project requires (Dynamic's "information capture"): until `PUT users` supplies
   * them, the user's tokens carry scope `userDataForm` (not `user:basic`) and `missing_fields`.
   */
  requiredFields?: readonly InformationField[]
  /** Cookie-based auth: the settings list `cookie` in `security.auth.storage`, so Dynamic's client writes the `DYNAMIC_JWT_TOKEN` cookie itself. */
  cookieAuth?: boolean
  /** MFA pending after sign-in: tokens carry `requiresAdditionalAuth` until `POST /emulator/mfa/complete` (or `emulator.completeMfa()`). */
  requireMfa?: boolean
  /**
   * Signed webhooks to this endpoint: `user.created`, `user.updated`, `user.deleted`,
   * `user.session.created`, `user.session.revoked`, `admin.user.session.revoked`,
   * `wallet.linked`, `wallet.unlinked`.
   */
  webhook?: EmulatorWebhookOptions
  /** The environment's kind, in the settings and the webhook envelope. Default `sandbox`. */
  environmentName?: 'sandbox' | 'live'
  /** Browser origins allowed besides loopback ones (e.g. `http://myapp.test:3000`). */
  corsOrigins?: readonly string[]
  /** Lifetime of the tokens in seconds. Default 7200, as Dynamic's observed tokens. */
  tokenLifetime?: number
  /**
   * The EVM chain ids wallets may sign in on (the `Chain ID` of their sign-in message), listed in
   * the settings' `chains` and `networks`. Default `[1, 11155111]` (Ethereum, Sepolia).
   */
  evmChainIds?: readonly number[]
  /**
   * The token of the emulated admin API (`Authorization: Bearer dyn_…`). Default: a random one,
   * read from `server.emulator.adminToken`. Must start with `dyn_`, as Dynamic's API tokens do.
   */
  adminToken?: string
  /**
   * Step-up: which scopes `stepUp/check` says need one (default all), and per scope whether its
   * elevated tokens are single use and how long they live (default Dynamic's: single use and 300 s
   * for `wallet:` scopes, time-bound and 600 s for the others).
   */
  stepUp?: EmulatorStepUpOptions
  /** One line per notable event (code sent, webhook delivered or failed). Never a token. */
  log?: (line: string) => void
}

import { checkStepUpOptions, type EmulatorStepUpOptions } from './step-up.js'

const DIGITS = /^\d{4,12}$/

/** Throws a TypeError naming the first bad option. */
export function checkEmulatorOptions(options: EmulatorOptions): void {
  if (options.otpCode !== undefined && (typeof options.otpCode !== 'string' || !DIGITS.test(options.otpCode))) {
    throw new TypeError(`otpCode must be 4 to 12 digits; got ${JSON.stringify(options.otpCode)}.`)
  }
  for (const field of options.requiredFields ?? []) {
    if (!(INFORMATION_FIELDS as readonly string[]).includes(field))
      throw new TypeError(`requiredFields: ${JSON.stringify(field)} is not one of ${INFORMATION_FIELDS.join(', ')}.`)
  }
  if (options.webhook !== undefined) {
    const { url, secret } = options.webhook
    let parsed: URL | undefined
    try {
      parsed = new URL(url)
    } catch {
      parsed = undefined
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
      throw new TypeError(`webhook.url must be an http(s) URL; got ${JSON.stringify(url)}.`)
    if (typeof secret !== 'string' || secret.length === 0)
      throw new TypeError('webhook.secret must be a non-empty string.')
    const delays = options.webhook.retryDelaysMs
    if (
      delays !== undefined &&
      (!Array.isArray(delays) ||
        delays.length > 10 ||
        delays.some((delay) => !Number.isInteger(delay) || delay < 0 || delay > 24 * 3600 * 1000))
    ) {
      throw new TypeError(
        'webhook.retryDelaysMs must be at most 10 whole numbers of milliseconds, each from 0 to one day.',
      )
    }
  }
  for (const origin of options.corsOrigins ?? []) {
    let url: URL | undefined
    try {
      url = new URL(origin)
    } catch {
      url = undefined
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin.replace(/\/$/, '')) {
      throw new TypeError(`corsOrigins: ${JSON.stringify(origin)} is not an origin (scheme://host[:port]).`)
    }
  }
  if (
    options.tokenLifetime !== undefined &&
    (!Number.isInteger(options.tokenLifetime) || options.tokenLifetime < 1 || options.tokenLifetime > 30 * 24 * 3600)
  ) {
    throw new TypeError('tokenLifetime must be a whole number of seconds from 1 to 2592000 (30 days).')
  }
  for (const id of options.evmChainIds ?? []) {
    if (!Number.isSafeInteger(id) || id < 1)
      throw new TypeError(`evmChainIds: ${JSON.stringify(id)} is not a chain id (a positive whole number).`)
  }
  if (options.evmChainIds !== undefined && options.evmChainIds.length === 0)
    throw new TypeError('evmChainIds must name at least one chain id.')
  if (
    options.adminToken !== undefined &&
    (typeof options.adminToken !== 'string' || !/^dyn_[A-Za-z0-9_-]{16,200}$/.test(options.adminToken))
  ) {
    throw new TypeError('adminToken must be "dyn_" followed by 16 to 200 letters, digits, "_" or "-".')
  }
  if (
    options.environmentName !== undefined &&
    options.environmentName !== 'sandbox' &&
    options.environmentName !== 'live'
  )
    throw new TypeError('environmentName must be "sandbox" or "live".')
  checkStepUpOptions(options.stepUp)
}
