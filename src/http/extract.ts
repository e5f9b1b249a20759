/**
 * Token extraction: the first step of a token's path. `Authorization: Bearer <token>` (scheme in
 * any case, one or more spaces), then the query parameter when enabled, then Dynamic's cookie.
 * No regular expressions and no cookie parsing unless the header is absent.
 */
import { DynamicAuthError } from '../errors.js'

const BEARER = 'bearer'

function invalidRequest(message: string): DynamicAuthError {
  return new DynamicAuthError('invalid_request', message)
}

/**
 * The token of an Authorization header value; `undefined` when the header uses another scheme
 * (Basic in front of a staging site, say), which is then ignored. Throws `invalid_request` for a
 * Bearer header with no token or with more than one word.
 */
export function bearerToken(value: string): string | undefined {
  // Fast path: exactly "Bearer <token>". indexOf runs natively; a per-character loop over a
  // 1-2 kB token would cost more than the verified-token cache lookup that follows. Other
  // control characters are left to the strict token parser, which refuses them.
  if (
    value.startsWith('Bearer ') &&
    value.length > 7 &&
    value.charCodeAt(7) !== 32 &&
    value.indexOf(' ', 8) === -1 &&
    value.indexOf(',', 8) === -1
  ) {
    return value.slice(7)
  }
  let start = 0
  while (start < value.length && isSpace(value.charCodeAt(start))) start++
  let end = value.length
  while (end > start && isSpace(value.charCodeAt(end - 1))) end--
  let schemeEnd = start
  while (schemeEnd < end && !isSpace(value.charCodeAt(schemeEnd))) schemeEnd++
  if (schemeEnd - start !== BEARER.length || value.slice(start, schemeEnd).toLowerCase() !== BEARER) return undefined
  let tokenStart = schemeEnd
  while (tokenStart < end && value.charCodeAt(tokenStart) === 32) tokenStart++
  if (tokenStart === end) {
    throw invalidRequest(
      'The Authorization header has the Bearer scheme but no token: send "Authorization: Bearer <Dynamic JWT>".',
    )
  }
  if (tokenStart === schemeEnd) {
    throw invalidRequest(
      'The Authorization header is malformed: the scheme and the token must be separated by a space.',
    )
  }
  const token = value.slice(tokenStart, end)
  if (!isSingleWord(token)) {
    throw invalidRequest(
      'The Authorization header is malformed: a Bearer token is a single word, with no spaces or commas.',
    )
  }
  return token
}

/**
 * True when an Authorization value is a bare JWT (no scheme): a JSON header ("eyJ"), three parts,
 * one word. Only to say "add Bearer" in a refusal, never to accept it.
 */
export function isSchemelessJwt(value: string): boolean {
  const word = value.trim()
  const dot = word.indexOf('.')
  return word.startsWith('eyJ') && dot > 0 && word.indexOf('.', dot + 1) > dot && isSingleWord(word)
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9
}

function isSingleWord(token: string): boolean {
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i)
    if (code <= 32 || code === 44 || code === 127) return false // controls, spaces, commas
  }
  return token.length > 0
}

/** The value of cookie `name` in a Cookie header (the first one, as browsers send the most specific first). */
export function cookieValue(header: string, name: string): string | undefined {
  const length = header.length
  let index = 0
  while (index < length) {
    let end = header.indexOf(';', index)
    if (end === -1) end = length
    let start = index
    while (start < end && isSpace(header.charCodeAt(start))) start++
    if (header.startsWith(name, start)) {
      let equals = start + name.length
      while (equals < end && isSpace(header.charCodeAt(equals))) equals++
      if (header.charCodeAt(equals) === 61 /* = */) {
        let value = header.slice(equals + 1, end).trim()
        if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34)
          value = value.slice(1, -1)
        return value.length > 0 ? value : undefined
      }
    }
    index = end + 1
  }
  return undefined
}

/** The token in query parameter `name`; throws `invalid_request` when it appears more than once. */
export function queryToken(url: string, name: string): string | undefined {
  const question = url.indexOf('?')
  if (question === -1) return undefined
  const hash = url.indexOf('#', question)
  const values = new URLSearchParams(hash === -1 ? url.slice(question + 1) : url.slice(question + 1, hash)).getAll(name)
  if (values.length === 0) return undefined
  if (values.length > 1) throw invalidRequest(`The "${name}" query parameter appears more than once; send one token.`)
  return values[0] || undefined
}
