/**
 * The emulator's flags of `dynamic-guard dev`: how the emulated Dynamic project is set up (fixed
 * codes, required information, cookie auth, MFA, webhooks, browser origins, non-loopback listening),
 * parsed into the listen options, and how codes and webhook deliveries are printed.
 */
import { INFORMATION_FIELDS, type EmulatorOptions, type InformationField } from '../../testing/emulator/options.js'
import { isLoopbackHostname } from '../../testing/emulator/cors.js'
import { UsageError, type Io } from '../usage.js'

/** The flags, as parseArgs takes them. */
export const emulatorFlags = {
  'otp-code': { type: 'string' },
  'required-fields': { type: 'string' },
  'cookie-auth': { type: 'boolean' },
  'require-mfa': { type: 'boolean' },
  'webhook-url': { type: 'string' },
  'webhook-secret': { type: 'string' },
  'cors-origin': { type: 'string', multiple: true },
  'unsafe-listen-any-host': { type: 'boolean' },
} as const

/** Their help lines. */
export const emulatorHelp = `Dynamic's SDK API (for Dynamic's own client, coreConfig.apiBaseUrl = <origin>/api/v0):
  --otp-code <digits>       Every email code is this one (4 to 12 digits) instead of a random one.
                            Codes are printed here and readable at GET <origin>/emulator/otp?email=.
  --required-fields <list>  Information the project requires, comma-separated, among alias,
                            firstName, lastName, username, jobTitle, phoneNumber, country,
                            tShirtSize, team, policiesConsent: tokens carry scope userDataForm
                            and missing_fields until the user supplies them (PUT users).
  --cookie-auth             Cookie-based auth: the settings say cookie storage, so Dynamic's client
                            writes the DYNAMIC_JWT_TOKEN cookie itself.
  --require-mfa             MFA pending after sign-in: tokens carry requiresAdditionalAuth until
                            POST <origin>/emulator/mfa/complete {"sessionId"} or {"email"}.
  --webhook-url <url>       Send signed webhooks (user.session.created, user.session.revoked,
                            user.deleted) here, as Dynamic does (x-dynamic-signature-256).
  --webhook-secret <secret> Their HMAC secret (or set DYNAMIC_WEBHOOK_SECRET).
  --cors-origin <origin>    A browser origin allowed besides loopback ones (repeatable).
  --unsafe-listen-any-host  Allow --host beyond loopback. Anyone who can reach the port can then
                            mint tokens that apps pointed at this server accept.`

type FlagValues = {
  [K in keyof typeof emulatorFlags]?: (typeof emulatorFlags)[K] extends { multiple: true }
    ? string[]
    : (typeof emulatorFlags)[K] extends { type: 'string' }
      ? string
      : boolean
}

/** The listen options of the flags; a {@link UsageError} for a bad one. `host` is checked against the loopback rule. */
export function emulatorOptions(
  values: FlagValues,
  host: string,
  io: Io,
  json: boolean,
): EmulatorOptions & { unsafeListenAnyHost?: boolean } {
  const options: EmulatorOptions & { unsafeListenAnyHost?: boolean } = {}
  if (!isLoopbackHostname(host)) {
    if (!values['unsafe-listen-any-host']) {
      throw new UsageError(
        `--host ${host} is not loopback. This server mints tokens that apps pointed at it trust; to expose it anyway, add --unsafe-listen-any-host.`,
      )
    }
    io.stderr(
      `WARNING: listening on ${host}, not loopback (--unsafe-listen-any-host): anyone who can reach this port can sign in and mint tokens that apps pointed at this server accept.\n`,
    )
    options.unsafeListenAnyHost = true
  }
  const otpCode = values['otp-code']
  if (otpCode !== undefined) {
    if (!/^\d{4,12}$/.test(otpCode))
      throw new UsageError(`--otp-code must be 4 to 12 digits; got ${JSON.stringify(otpCode)}.`)
    options.otpCode = otpCode
  }
  const fields = values['required-fields']
  if (fields !== undefined) {
    const names = fields
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean)
    const unknown = names.find((name) => !(INFORMATION_FIELDS as readonly string[]).includes(name))
    if (unknown !== undefined || names.length === 0)
      throw new UsageError(
        `--required-fields takes names among ${INFORMATION_FIELDS.join(', ')}; got ${JSON.stringify(unknown ?? fields)}.`,
      )
    options.requiredFields = names as InformationField[]
  }
  if (values['cookie-auth']) options.cookieAuth = true
  if (values['require-mfa']) options.requireMfa = true
  const url = values['webhook-url']
  const secret = values['webhook-secret'] ?? io.env.DYNAMIC_WEBHOOK_SECRET
  if (url !== undefined) {
    if (!/^https?:\/\/[^\s]+$/i.test(url) || !URL.canParse(url))
      throw new UsageError(`--webhook-url must be an http(s) URL; got ${JSON.stringify(url)}.`)
    if (!secret)
      throw new UsageError(
        '--webhook-url needs --webhook-secret (or DYNAMIC_WEBHOOK_SECRET): Dynamic signs every webhook.',
      )
    options.webhook = { url, secret }
  } else if (values['webhook-secret'] !== undefined)
    throw new UsageError('--webhook-secret without --webhook-url: where should the webhooks go?')
  for (const origin of values['cors-origin'] ?? []) {
    if (
      !URL.canParse(origin) ||
      new URL(origin).origin !== origin.replace(/\/$/, '') ||
      !/^https?:$/.test(new URL(origin).protocol)
    ) {
      throw new UsageError(`--cors-origin must be an origin (scheme://host[:port]); got ${JSON.stringify(origin)}.`)
    }
  }
  if (values['cors-origin']?.length) options.corsOrigins = values['cors-origin'].map((origin) => new URL(origin).origin)
  // Codes on stdout (the emulator sends no email), as text or one JSON line each; webhook outcomes on stderr.
  options.onOtp = ({ email, code }) =>
    io.stdout(json ? `${JSON.stringify({ event: 'otp', email, code })}\n` : `email code for ${email}: ${code}\n`)
  options.log = (line) => {
    if (line.startsWith('webhook')) io.stderr(`${line}\n`)
  }
  return options
}
