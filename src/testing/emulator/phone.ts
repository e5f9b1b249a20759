/**
 * The phone number of an SMS code request (Dynamic's `SmsVerificationCreateRequest`: the national
 * number, its country calling code, its ISO country), checked and normalized.
 */
import { EmulatorError, textMember } from './http.js'
import type { VerifiedPhone } from './users.js'

/** The request's phone number, or a 400 `invalid_phone_number` that says what is expected. */
export function phoneOf(body: Record<string, unknown>): VerifiedPhone {
  const phoneNumber = textMember(body, 'phoneNumber', 20).replace(/[\s().-]/g, '')
  const phoneCountryCode = textMember(body, 'phoneCountryCode', 5).replace(/^\+/, '')
  const isoCountryCode = textMember(body, 'isoCountryCode', 2).toUpperCase()
  if (!/^\d{4,15}$/.test(phoneNumber) || !/^\d{1,4}$/.test(phoneCountryCode) || !/^[A-Z]{2}$/.test(isoCountryCode)) {
    throw new EmulatorError(
      400,
      'invalid_phone_number',
      'The phone number is not valid: send phoneNumber (4 to 15 digits), phoneCountryCode (1 to 4 digits) and isoCountryCode (2 letters).',
    )
  }
  return { phoneNumber, phoneCountryCode, isoCountryCode }
}
