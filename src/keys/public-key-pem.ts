/**
 * Reads an RSA public key as customers actually have it (pasted from Dynamic's dashboard, kept in
 * an environment variable or a file) and turns it into a JWK. Pure JavaScript, with no crypto
 * library: the same text gives the same key, or the same refusal, on Node, Bun, Deno and workerd.
 *
 * Accepted: an SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`) RSA public key as PEM,
 * whatever the line breaks (none, LF, CRLF, `\n` written as two characters, spaces inside the
 * base64), with surrounding whitespace or quotes; or the bare base64 body of such a key. The DER
 * inside is parsed strictly (definite minimal lengths, minimal positive integers, no trailing
 * bytes, the rsaEncryption algorithm with NULL parameters). Anything else is refused with a
 * message that says what the text is and what is expected, and never repeats the text itself.
 */
import { decodeBase64url, encodeBase64url } from '../parse/base64url.js'
import type { RsaPublicJwk } from '../signature/backend.js'
import { acceptJwk, type AcceptedJwk } from './jwk.js'

/** The form a public key was read from. */
export type PublicKeyFormat = 'spki' | 'pkcs1'

/** A public key read from text: its JWK and the form it came in. */
export interface ReadPublicKey {
  readonly jwk: RsaPublicJwk
  readonly format: PublicKeyFormat
}

/** The longest text examined. An RSA-8192 public key in PEM is about 1,500 characters. */
const MAX_TEXT = 64 * 1024

const EXPECTED =
  'Expected an RSA public key: a PEM block "-----BEGIN PUBLIC KEY-----" (SPKI) or "-----BEGIN RSA PUBLIC KEY-----" (PKCS#1), on one line or several, or the base64 body of a "BEGIN PUBLIC KEY" block.'

const PRIVATE_ADVICE =
  'A verifier needs only the public key. A private key must never be pasted anywhere (configuration, environment variables, source code, chat, tickets): if this one was shared, treat it as compromised and replace it. Give the public key instead, e.g. from Dynamic\'s JWKS or dashboard, or derived with "openssl pkey -in private.pem -pubout".'

const CERTIFICATE_ADVICE =
  'A certificate is not accepted as a key: extract its public key with "openssl x509 -in cert.pem -pubkey -noout" and give that.'

// ---- DER ----

const SEQUENCE = 0x30
const INTEGER = 0x02
const BIT_STRING = 0x03
const OCTET_STRING = 0x04
const NULL = 0x05
const OID = 0x06

/** rsaEncryption, 1.2.840.113549.1.1.1, DER content octets. */
const RSA_ENCRYPTION = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]

/** Algorithms a public key may name besides rsaEncryption, for the refusal message. */
const OTHER_ALGORITHMS: Record<string, string> = {
  '1.2.840.10045.2.1': 'an EC (elliptic curve) public key, not an RSA key',
  '1.3.101.112': 'an Ed25519 public key, not an RSA key',
  '1.3.101.113': 'an Ed448 public key, not an RSA key',
  '1.3.101.110': 'an X25519 public key, not an RSA key',
  '1.3.101.111': 'an X448 public key, not an RSA key',
  '1.2.840.10040.4.1': 'a DSA public key, not an RSA key',
  '1.2.840.113549.1.1.10':
    'an RSA-PSS key (id-RSASSA-PSS), restricted to PSS signatures, so it cannot verify RS256 (RSASSA-PKCS1-v1_5)',
  '1.2.840.113549.1.1.7': 'an RSA-OAEP key (id-RSAES-OAEP), restricted to encryption',
}

class DerError extends Error {}

interface Element {
  readonly tag: number
  /** First content octet. */
  readonly start: number
  /** One past the last content octet. */
  readonly end: number
}

/** Reads the element at `offset`, which must end by `limit`. Strict DER: definite, minimal lengths. */
function element(der: Uint8Array, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new DerError('it ends in the middle of an element (the key is truncated)')
  const tag = der[offset]!
  if ((tag & 0x1f) === 0x1f) throw new DerError('it uses a multi-octet tag, which no key structure has')
  const first = der[offset + 1]!
  let length = first
  let start = offset + 2
  if (first === 0x80) throw new DerError('it uses an indefinite length (BER, not DER)')
  if (first > 0x80) {
    const octets = first & 0x7f
    if (octets > 3) throw new DerError('it declares an element longer than any key')
    if (start + octets > limit) throw new DerError('it ends in the middle of a length (the key is truncated)')
    length = 0
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!
    if (der[start] === 0 || length < 0x80)
      throw new DerError('it encodes a length in more octets than needed (not DER)')
    start += octets
  }
  if (start + length > limit) throw new DerError('an element is longer than the data left (the key is truncated)')
  return { tag, start, end: start + length }
}

/** The elements directly inside a constructed element, which they must fill exactly. */
function children(der: Uint8Array, parent: Element): Element[] {
  const list: Element[] = []
  let offset = parent.start
  while (offset < parent.end) {
    const child = element(der, offset, parent.end)
    list.push(child)
    offset = child.end
  }
  return list
}

function extra(count: number): string {
  return `${count} extra byte${count === 1 ? '' : 's'}`
}

/** The single top-level element, which must span all of `der`. */
function topLevel(der: Uint8Array): Element {
  const top = element(der, 0, der.length)
  if (top.end !== der.length) throw new DerError(`${extra(der.length - top.end)} after the key structure`)
  return top
}

/** A non-negative INTEGER in minimal encoding, without its sign octet. */
function unsignedInteger(der: Uint8Array, node: Element, name: string): Uint8Array {
  if (node.tag !== INTEGER) throw new DerError(`${name} is not an INTEGER`)
  const length = node.end - node.start
  if (length === 0) throw new DerError(`${name} is an empty INTEGER`)
  const first = der[node.start]!
  if (first & 0x80) throw new DerError(`${name} is negative`)
  if (first === 0 && length > 1 && (der[node.start + 1]! & 0x80) === 0)
    throw new DerError(`${name} has a superfluous leading zero octet (not DER)`)
  const bytes = der.subarray(first === 0 && length > 1 ? node.start + 1 : node.start, node.end)
  if (bytes.length === 1 && bytes[0] === 0) throw new DerError(`${name} is zero`)
  return bytes
}

/** PKCS#1 RSAPublicKey: SEQUENCE { modulus INTEGER, publicExponent INTEGER }, spanning [start, end). */
function rsaPublicKey(der: Uint8Array, start: number, end: number): RsaPublicJwk {
  const sequence = element(der, start, end)
  if (sequence.tag !== SEQUENCE) throw new DerError('the RSAPublicKey is not a SEQUENCE')
  if (sequence.end !== end) throw new DerError(`${extra(end - sequence.end)} after the RSAPublicKey`)
  const parts = children(der, sequence)
  if (parts.length !== 2)
    throw new DerError(`the RSAPublicKey has ${parts.length} members instead of 2 (modulus, exponent)`)
  const n = unsignedInteger(der, parts[0]!, 'the modulus')
  const e = unsignedInteger(der, parts[1]!, 'the public exponent')
  return { kty: 'RSA', n: encodeBase64url(n), e: encodeBase64url(e) }
}

function dottedOid(der: Uint8Array, node: Element): string {
  const arcs: number[] = []
  let value = 0
  for (let i = node.start; i < node.end; i++) {
    value = value * 128 + (der[i]! & 0x7f)
    if ((der[i]! & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
      else arcs.push(value)
      value = 0
    }
  }
  return arcs.join('.')
}

/** SPKI: SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { RSAPublicKey } }. */
function subjectPublicKeyInfo(der: Uint8Array): RsaPublicJwk {
  const top = topLevel(der)
  if (top.tag !== SEQUENCE) throw new DerError('it is not a SEQUENCE')
  const parts = children(der, top)
  if (parts.length !== 2 || parts[0]!.tag !== SEQUENCE || parts[1]!.tag !== BIT_STRING) {
    throw new DerError('it is not a SubjectPublicKeyInfo (an algorithm and a BIT STRING)')
  }
  const algorithm = children(der, parts[0]!)
  const oid = algorithm[0]
  if (!oid || oid.tag !== OID) throw new DerError('its algorithm has no object identifier')
  const content = der.subarray(oid.start, oid.end)
  if (content.length !== RSA_ENCRYPTION.length || RSA_ENCRYPTION.some((byte, i) => content[i] !== byte)) {
    const dotted = dottedOid(der, oid)
    throw new NotRsaError(
      OTHER_ALGORITHMS[dotted] ?? `a public key of another algorithm (OID ${dotted}), not an RSA key`,
    )
  }
  const parameters = algorithm[1]
  if (algorithm.length !== 2 || !parameters || parameters.tag !== NULL || parameters.end !== parameters.start) {
    throw new DerError('its rsaEncryption algorithm must have NULL parameters (RFC 3279)')
  }
  const bits = parts[1]!
  if (bits.end - bits.start < 1 || der[bits.start] !== 0) throw new DerError('its BIT STRING has unused bits')
  return rsaPublicKey(der, bits.start + 1, bits.end)
}

/** PKCS#1 RSAPublicKey spanning all of `der`. */
function pkcs1PublicKey(der: Uint8Array): RsaPublicJwk {
  topLevel(der)
  return rsaPublicKey(der, 0, der.length)
}

/** A well-formed key of another algorithm. */
class NotRsaError extends Error {}

/** What a DER structure looks like, from its top-level members: for messages only, never to accept. */
type Shape = 'spki' | 'pkcs1' | 'private' | 'certificate' | 'unknown'

function sniff(der: Uint8Array): Shape {
  try {
    const top = topLevel(der)
    if (top.tag !== SEQUENCE) return 'unknown'
    const tags = children(der, top).map((child) => child.tag)
    const key = tags.join(',')
    if (key === `${SEQUENCE},${BIT_STRING}`) return 'spki'
    if (key === `${INTEGER},${INTEGER}`) return 'pkcs1'
    // PKCS#8 (INTEGER version, algorithm, OCTET STRING key, …), encrypted PKCS#8 (algorithm,
    // OCTET STRING), SEC1 EC (INTEGER 1, OCTET STRING, …), PKCS#1 RSAPrivateKey (9+ INTEGERs).
    if (tags[0] === INTEGER && tags[1] === SEQUENCE && tags[2] === OCTET_STRING) return 'private'
    if (key === `${SEQUENCE},${OCTET_STRING}`) return 'private'
    if (tags[0] === INTEGER && tags[1] === OCTET_STRING) return 'private'
    if (tags.length >= 9 && tags.every((tag) => tag === INTEGER)) return 'private'
    if (key === `${SEQUENCE},${SEQUENCE},${BIT_STRING}`) return 'certificate'
    return 'unknown'
  } catch {
    return 'unknown'
  }
}

// ---- text ----

const BASE64_VALUES = new Int8Array(128).fill(-1)
for (let i = 0; i < 64; i++)
  BASE64_VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i

/** Standard base64 (padding optional, whitespace already removed), decoded in JS; a reason when it is not. */
function decodeBase64(text: string): Uint8Array | string {
  const body = text.replace(/={1,2}$/, '')
  if (body.length !== text.length && text.length % 4 !== 0) return 'its base64 padding ("=") is misplaced'
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i)
    if (code >= 128 || BASE64_VALUES[code]! < 0) {
      const char = body[i]!
      if (char === '-' || char === '_') return 'it is base64url ("-" or "_"), not the standard base64 of PEM'
      if (char === '=') return 'its base64 padding ("=") is misplaced'
      return `it is not base64: character ${JSON.stringify(code < 128 ? char : `U+${code.toString(16).toUpperCase().padStart(4, '0')}`)} at position ${i + 1} of the body`
    }
  }
  if (body.length % 4 === 1)
    return 'its base64 has a length no base64 can have: characters are missing (the key was cut short) or extra'
  // Checked above: the standard alphabet and a possible length, so only the padding bits remain.
  const out = decodeBase64url(body.replace(/\+/g, '-').replace(/\//g, '_'))
  return out ?? 'its base64 ends in the middle of a byte (non-zero padding bits): the text was cut short or altered'
}

/** Removes surrounding whitespace and one or two layers of matching quotes; turns `\n`, `\r\n` written as text into line breaks. */
function normalise(text: string): string {
  let value = text.trim()
  for (let i = 0; i < 2; i++) {
    const first = value[0]
    if (value.length >= 2 && (first === '"' || first === "'" || first === '`') && value[value.length - 1] === first)
      value = value.slice(1, -1).trim()
  }
  // Base64 and PEM armor never contain a backslash: `\n`, `\r`, `\t` (also doubly escaped) are escapes.
  return value.replace(/\\+[nrt]/g, '\n').trim()
}

const PEM_BLOCK = /-----BEGIN ([^\r\n-]*)-----([\s\S]*?)-----END ([^\r\n-]*)-----/g

type Outcome = ReadPublicKey | { rejected: string }

function privateKey(subject: string, what: string): { rejected: string } {
  return { rejected: `${subject} is a PRIVATE key (${what}), not a public key. ${PRIVATE_ADVICE}` }
}

function fromDer(der: Uint8Array, expected: PublicKeyFormat | undefined, subject: string, where: string): Outcome {
  if (der.length === 0) return { rejected: `${subject} has an empty ${where}. ${EXPECTED}` }
  const shape = sniff(der)
  if (shape === 'private') return privateKey(subject, `a DER private key in its ${where}`)
  if (shape === 'certificate')
    return { rejected: `${subject} holds an X.509 certificate in its ${where}. ${CERTIFICATE_ADVICE}` }
  const format: PublicKeyFormat = expected ?? (shape === 'pkcs1' ? 'pkcs1' : 'spki')
  if (expected === 'spki' && shape === 'pkcs1') {
    return {
      rejected: `${subject} is labelled "BEGIN PUBLIC KEY" (SPKI) but holds a PKCS#1 RSAPublicKey: label it "-----BEGIN RSA PUBLIC KEY-----" / "-----END RSA PUBLIC KEY-----".`,
    }
  }
  if (expected === 'pkcs1' && shape === 'spki') {
    return {
      rejected: `${subject} is labelled "BEGIN RSA PUBLIC KEY" (PKCS#1) but holds an SPKI public key: label it "-----BEGIN PUBLIC KEY-----" / "-----END PUBLIC KEY-----".`,
    }
  }
  try {
    const jwk = format === 'spki' ? subjectPublicKeyInfo(der) : pkcs1PublicKey(der)
    return { jwk, format }
  } catch (error) {
    if (error instanceof NotRsaError) {
      return {
        rejected: `${subject} is ${error.message}. Dynamic signs tokens with RS256, which needs the environment's RSA public key (rsaEncryption).`,
      }
    }
    if (error instanceof DerError) {
      const structure = format === 'spki' ? 'SPKI public key' : 'PKCS#1 RSA public key'
      return { rejected: `${subject} is not a valid ${structure}: ${error.message}. ${EXPECTED}` }
    }
    throw error
  }
}

/**
 * Reads an RSA public key from text (PEM in any realistic layout, or a bare base64 SPKI or
 * PKCS#1 body). `subject` names the input in messages (`publicKey`, `--public-key key.pem`).
 * Returns the JWK, or `{ rejected }` with a message that starts with `subject`, says what was
 * wrong and what is expected, and never contains the text itself.
 */
export function readRsaPublicKey(text: unknown, subject = 'publicKey'): Outcome {
  if (typeof text !== 'string') {
    const got = text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text
    return { rejected: `${subject} must be a string holding an RSA public key; got ${got}. ${EXPECTED}` }
  }
  if (text.length > MAX_TEXT)
    return { rejected: `${subject} is ${text.length} characters long; an RSA public key is under 2,000. ${EXPECTED}` }
  const value = normalise(text)
  if (value === '')
    return { rejected: `${subject} is empty${text.length > 0 ? ' (only whitespace or quotes)' : ''}. ${EXPECTED}` }
  if (value.startsWith('{') || value.startsWith('[')) {
    return {
      rejected: `${subject} looks like JSON (a JWK or a JWKS document), not a PEM key. Give a JWKS to staticKeys.jwks (or --jwks-file) as { "keys": [...] } instead.`,
    }
  }
  if (/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-\S+) /.test(value) || value.startsWith('---- BEGIN SSH2')) {
    return {
      rejected: `${subject} is an SSH public key, not a PEM key. Dynamic's key is never an SSH key; ${EXPECTED}`,
    }
  }

  const begins = value.match(/-----BEGIN /g)?.length ?? 0
  const privateLabel = /-----BEGIN ([^\r\n-]*PRIVATE[^\r\n-]*)-----/.exec(value)
  if (privateLabel) return privateKey(subject, `"BEGIN ${privateLabel[1]!.trim()}"`)
  const blocks = [...value.matchAll(PEM_BLOCK)]
  if (begins === 0 && /-----END /.test(value))
    return {
      rejected: `${subject} has an "-----END …-----" line but no "-----BEGIN …-----" line: the start of the key is missing. ${EXPECTED}`,
    }
  if (begins > 0) {
    if (blocks.length < begins)
      return {
        rejected: `${subject} has a "-----BEGIN …-----" line without its "-----END …-----" line: the key was cut off. ${EXPECTED}`,
      }
    if (blocks.length > 1)
      return { rejected: `${subject} holds ${blocks.length} PEM blocks; give exactly one public key. ${EXPECTED}` }
    const [, beginLabel, body, endLabel] = blocks[0]! as unknown as [string, string, string, string]
    const label = beginLabel.trim()
    if (label !== endLabel.trim())
      return { rejected: `${subject} begins with "BEGIN ${label}" but ends with "END ${endLabel.trim()}". ${EXPECTED}` }
    let expected: PublicKeyFormat
    if (label === 'PUBLIC KEY') expected = 'spki'
    else if (label === 'RSA PUBLIC KEY') expected = 'pkcs1'
    else if (/CERTIFICATE/.test(label))
      return {
        rejected: `${subject} is an X.509 certificate ("BEGIN ${label}"), not a public key. ${CERTIFICATE_ADVICE}`,
      }
    else return { rejected: `${subject} is a PEM block labelled "${label}", not a public key. ${EXPECTED}` }
    const decoded = decodeBase64(body.replace(/\s+/g, ''))
    if (typeof decoded === 'string')
      return { rejected: `${subject} has a PEM body that cannot be read: ${decoded}. ${EXPECTED}` }
    return fromDer(decoded, expected, subject, 'PEM body')
  }
  // No armor: a bare base64 body.
  const compact = value.replace(/\s+/g, '')
  if (compact.length < 200) {
    return {
      rejected: `${subject} is not a PEM key (it has no "-----BEGIN PUBLIC KEY-----" line) and, at ${compact.length} characters, too short to be the base64 body of one (an RSA-2048 key is about 400). ${EXPECTED}`,
    }
  }
  const decoded = decodeBase64(compact)
  if (typeof decoded === 'string')
    return {
      rejected: `${subject} is neither a PEM key (no "-----BEGIN PUBLIC KEY-----" line) nor a base64 key body: ${decoded}. ${EXPECTED}`,
    }
  return fromDer(decoded, undefined, subject, 'base64 body')
}

/**
 * Reads an RSA public key from text ({@link readRsaPublicKey}) and applies the JWK acceptance
 * rules ({@link acceptJwk}: 2048 to 8192 bits, odd modulus, exponent bounds) to it.
 */
export function acceptRsaPublicKey(
  text: unknown,
  subject = 'publicKey',
): (AcceptedJwk & { readonly format: PublicKeyFormat }) | { rejected: string } {
  const read = readRsaPublicKey(text, subject)
  if ('rejected' in read) return read
  const accepted = acceptJwk(read.jwk)
  if ('rejected' in accepted) return { rejected: `${subject} ${accepted.rejected}.` }
  return { ...accepted, format: read.format }
}
