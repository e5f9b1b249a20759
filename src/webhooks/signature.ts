/**
 * Dynamic signs each webhook message with HMAC-SHA256 of the raw request body under the
 * webhook's secret, sent as `x-dynamic-signature-256: sha256=<hex>`. The check decodes the hex
 * to 32 bytes first (anything else is refused before any comparison) and compares in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The header Dynamic signs with. */
export const SIGNATURE_HEADER = 'x-dynamic-signature-256'

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/

/** Computes the header value Dynamic would send for `rawBody` (for tests and local tools). */
export function signWebhookBody(secret: string, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`
}

/**
 * True when `header` is `sha256=<hex>` of the HMAC-SHA256 of `rawBody` under one of `secrets`
 * (several during a secret rotation). Constant-time and length-safe.
 */
export function verifyWebhookSignature(
  secrets: string | readonly string[],
  rawBody: string | Uint8Array,
  header: string | null | undefined,
): boolean {
  if (typeof header !== 'string' || header.length > 80) return false
  const match = SIGNATURE.exec(header.trim())
  if (!match) return false
  const given = Buffer.from(match[1]!, 'hex')
  if (given.length !== 32) return false
  let valid = false
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const expected = createHmac('sha256', secret).update(rawBody).digest()
    // Every secret is tried, so the time taken does not say which one matched.
    if (timingSafeEqual(expected, given)) valid = true
  }
  return valid
}
