/**
 * The JSON body the emulator's sign-in endpoint accepts: the JSON-shaped subset of the mint
 * options, checked member by member so that a typo is a clear 400, not a silently valid token.
 */
import type { VerifiedCredential } from '../session/claims.js'
import type { TestProfile } from './claims.js'
import type { MintOptions } from './test-issuer.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const THIRTY_DAYS = 30 * 24 * 3600
const BOOLEANS = ['expired', 'mfaPending', 'otherEnvironment', 'tampered', 'agent'] as const
// first_name/last_name: older spellings of given_name/family_name, still accepted.
const PROFILE_STRINGS = ['email', 'username', 'given_name', 'family_name', 'first_name', 'last_name'] as const

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isText = (value: unknown, max = 1024): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max

/** Returns the mint options, or a message saying what is wrong with `body`. */
export function parseSignInRequest(body: unknown): MintOptions | string {
  if (!isObject(body)) return 'The body must be a JSON object of mint options.'
  const out: MintOptions = {}
  for (const [name, value] of Object.entries(body)) {
    switch (name) {
      case 'sub':
      case 'sid':
        if (!isText(value, 256)) return `"${name}" must be a string of 1 to 256 characters.`
        out[name] = value
        break
      case 'kind':
        // Both forms are handed over at once; accepted for symmetry with mint().
        if (value !== 'access' && value !== 'id') return '"kind" must be "access" or "id".'
        break
      case 'expiresIn':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > THIRTY_DAYS)
          return `"expiresIn" must be a whole number of seconds from 1 to ${THIRTY_DAYS}.`
        out.expiresIn = value
        break
      case 'expired':
      case 'mfaPending':
      case 'otherEnvironment':
      case 'tampered':
      case 'agent':
        if (typeof value !== 'boolean') return `"${name}" must be true or false.`
        out[name] = value
        break
      case 'scope':
        if (typeof value !== 'string' || value.length > 1024)
          return '"scope" must be a string (space-separated scopes).'
        out.scope = value
        break
      case 'scopes':
        if (!Array.isArray(value) || value.length > 32 || !value.every((s) => isText(s, 128) && !/\s/.test(s)))
          return '"scopes" must be a list of scope names without spaces.'
        out.scopes = value as string[]
        break
      case 'sessionPublicKey':
        if (value !== null && (typeof value !== 'string' || !/^0[23][0-9a-f]{64}$/.test(value)))
          return '"sessionPublicKey" must be a compressed P-256 public key (66 lowercase hex characters starting 02 or 03), or null for none.'
        out.sessionPublicKey = value
        break
      case 'environmentId':
        if (typeof value !== 'string' || !UUID.test(value)) return '"environmentId" must be a UUID.'
        out.environmentId = value.toLowerCase()
        break
      case 'audience':
        if (!(isText(value) || (Array.isArray(value) && value.length > 0 && value.every((a) => isText(a)))))
          return '"audience" must be a string or a list of strings.'
        out.audience = value as string | string[]
        break
      case 'profile': {
        if (!isObject(value)) return '"profile" must be an object (email, username, given_name, family_name, new_user).'
        const profile: TestProfile = {}
        for (const [member, v] of Object.entries(value)) {
          if ((PROFILE_STRINGS as readonly string[]).includes(member)) {
            if (!isText(v, 256)) return `"profile.${member}" must be a string.`
            profile[member as (typeof PROFILE_STRINGS)[number]] = v
          } else if (member === 'new_user') {
            if (typeof v !== 'boolean') return '"profile.new_user" must be true or false.'
            profile.new_user = v
          } else
            return `"profile.${member}" is not a profile member (email, username, given_name, family_name, new_user).`
        }
        out.profile = profile
        break
      }
      case 'credentials':
        if (
          !Array.isArray(value) ||
          value.length > 32 ||
          !value.every((c) => isObject(c) && isText(c.id, 256) && isText(c.format, 64))
        ) {
          return '"credentials" must be a list of objects, each with a string "id" and "format".'
        }
        out.credentials = value as VerifiedCredential[]
        break
      case 'claims':
        if (!isObject(value)) return '"claims" must be an object of claims to set.'
        out.claims = value
        break
      default:
        return `"${name}" is not a sign-in option. Known: sub, sid, expiresIn, ${BOOLEANS.join(', ')}, scope, scopes, sessionPublicKey, environmentId, audience, profile, credentials, claims.`
    }
  }
  return out
}
