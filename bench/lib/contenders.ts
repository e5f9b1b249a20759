/**
 * The contenders, each configured for the same checks: RS256 only, the pinned issuer, expiry, and
 * the `user:basic` scope (in user code where the library has no scope check). Each factory
 * returns a ready verifier whose keys are already cached, unless `coldStart` asks for a fresh one
 * that fetches the JWKS from the local server on first use.
 */
import { verify as rsaVerify } from 'node:crypto'
import { createDynamicAuth } from '../../src/index.js'
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import jwksRsa from 'jwks-rsa'
import { createVerifier } from 'fast-jwt'
import { JwtRsaVerifier } from 'aws-jwt-verify'
import { SimpleJwksCache } from 'aws-jwt-verify/jwk'
import type { Fixture } from './fixture.js'

/** Verifies one token: resolves (or returns) on acceptance, throws or rejects on refusal. */
export type Verify = (token: string) => unknown

export interface Contender {
  /** Stable id, used in the JSON results. */
  readonly id: string
  /** What the table shows. */
  readonly label: string
  /** Has a verified-token cache (the warm case compares these). */
  readonly cached?: boolean
  /** Not a library: the physical floor every ratio is measured against. */
  readonly floor?: boolean
  /** A verifier with its keys already loaded. */
  ready(fx: Fixture): Promise<Verify>
  /** The verifier of the cold cases when it differs from `ready`'s (dynamic-guard: cache off). */
  readyCold?(fx: Fixture): Promise<Verify>
  /** A fresh verifier that has fetched nothing yet (for the cold-start case); absent when the library has no remote JWKS. */
  fresh?(fx: Fixture): Verify
}

const USER_BASIC = 'user:basic'

/** The scope check in user code, for libraries that have none. */
function requireUserBasic(claims: object): void {
  const payload = claims as { scope?: unknown }
  if (typeof payload.scope !== 'string' || !payload.scope.split(' ').includes(USER_BASIC)) {
    throw new Error('insufficient_scope')
  }
}

async function primed(verify: Verify, fx: Fixture): Promise<Verify> {
  await verify(fx.warmToken) // loads the keys
  return verify
}

function dynamicGuard(fx: Fixture, tokenCacheSize?: number): Verify {
  const auth = createDynamicAuth({
    environmentId: fx.issuer.environmentId,
    jwks: { url: fx.server.jwksUrl },
    ...(tokenCacheSize === undefined ? {} : { advanced: { tokenCacheSize } }),
  })
  return (token) => auth.verifyToken(token)
}

/** The bare thread-pool figure: callback `crypto.verify`, nothing else (the second floor). */
export function nodeCryptoPool(fx: Fixture): Verify {
  const key = fx.publicKey
  return (token) => {
    const dot = token.lastIndexOf('.')
    return new Promise<void>((resolve, reject) => {
      rsaVerify(
        'sha256',
        Buffer.from(token.slice(0, dot)),
        key,
        Buffer.from(token.slice(dot + 1), 'base64url'),
        (error, valid) => (valid ? resolve() : reject(error ?? new Error('signature'))),
      )
    })
  }
}

function joseRemote(fx: Fixture): Verify {
  const keys = createRemoteJWKSet(new URL(fx.server.jwksUrl))
  return async (token) => {
    const { payload } = await jwtVerify(token, keys, { issuer: fx.iss, algorithms: ['RS256'] })
    requireUserBasic(payload)
    return payload
  }
}

function jsonwebtokenJwksRsa(fx: Fixture): Verify {
  // The recipe of Dynamic's older docs: jwks-rsa for the key (cached), jsonwebtoken to verify.
  const client = jwksRsa({ jwksUri: fx.server.jwksUrl, cache: true, rateLimit: true })
  return async (token) => {
    const decoded = jsonwebtoken.decode(token, { complete: true })
    if (!decoded || typeof decoded === 'string') throw new Error('malformed')
    const key = await client.getSigningKey(decoded.header.kid)
    const payload = jsonwebtoken.verify(token, key.getPublicKey(), { algorithms: ['RS256'], issuer: fx.iss }) as {
      scope?: unknown
    }
    requireUserBasic(payload)
    return payload
  }
}

function awsJwtVerify(fx: Fixture): Verify {
  // aws-jwt-verify fetches with node:https by default; its JwksCache takes any fetcher, so a
  // plain-http local issuer works through the platform fetch.
  const jwksCache = new SimpleJwksCache({
    fetcher: { fetch: async (uri: string) => (await fetch(uri)).arrayBuffer() },
  })
  const verifier = JwtRsaVerifier.create(
    { issuer: fx.iss, audience: null, jwksUri: fx.server.jwksUrl, scope: USER_BASIC },
    { jwksCache },
  )
  return (token) => verifier.verify(token)
}

function fastJwt(fx: Fixture, cache: boolean): Verify {
  const verifier = createVerifier({ key: fx.publicPem, algorithms: ['RS256'], allowedIss: fx.iss, cache })
  return (token) => {
    const payload = verifier(token) as { scope?: unknown }
    requireUserBasic(payload)
    return payload
  }
}

export const CONTENDERS: readonly Contender[] = [
  {
    id: 'node-crypto',
    label: 'node:crypto verify (floor)',
    floor: true,
    async ready(fx) {
      const key = fx.publicKey
      return (token) => {
        const dot = token.lastIndexOf('.')
        if (
          !rsaVerify('sha256', Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), 'base64url'))
        ) {
          throw new Error('signature')
        }
      }
    },
  },
  {
    id: 'dynamic-guard',
    label: 'dynamic-guard',
    cached: true,
    ready: (fx) => primed(dynamicGuard(fx), fx),
    // "Cold" means the verified-token cache cannot help: it is off, as in the figures.
    readyCold: (fx) => primed(dynamicGuard(fx, 0), fx),
    fresh: (fx) => dynamicGuard(fx),
  },
  {
    id: 'jose-local',
    label: 'jose (local JWKS)',
    async ready(fx) {
      const keys = createLocalJWKSet(fx.jwks as Parameters<typeof createLocalJWKSet>[0])
      return primed(async (token) => {
        const { payload } = await jwtVerify(token, keys, { issuer: fx.iss, algorithms: ['RS256'] })
        requireUserBasic(payload)
        return payload
      }, fx)
    },
  },
  { id: 'jose-remote', label: 'jose (remote JWKS)', ready: (fx) => primed(joseRemote(fx), fx), fresh: joseRemote },
  {
    id: 'jsonwebtoken',
    label: 'jsonwebtoken + jwks-rsa',
    ready: (fx) => primed(jsonwebtokenJwksRsa(fx), fx),
    fresh: jsonwebtokenJwksRsa,
  },
  { id: 'fast-jwt', label: 'fast-jwt (no cache)', ready: async (fx) => primed(fastJwt(fx, false), fx) },
  { id: 'fast-jwt-cache', label: 'fast-jwt (cache)', cached: true, ready: async (fx) => primed(fastJwt(fx, true), fx) },
  { id: 'aws-jwt-verify', label: 'aws-jwt-verify', ready: (fx) => primed(awsJwtVerify(fx), fx), fresh: awsJwtVerify },
]
