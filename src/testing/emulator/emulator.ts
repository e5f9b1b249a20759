/**
 * The emulator: Dynamic's SDK API for one environment (`/api/v0/sdk/<environmentId>/…`), enough
 * for Dynamic's own client to initialise, sign in by email code or by wallet (EIP-4361), link and
 * unlink wallets and emails, read and update the user, refresh and log out, step up (elevated
 * access tokens) and sign agents in headlessly (`server_auth`), binding the client's session key
 * into the tokens; a little of Dynamic's admin API (`/api/v0/environments/…`,
 * `/api/v0/sessions/…`) behind a `dyn_` token; and the
 * emulator's own calls (`/emulator/…`) that Dynamic has no equivalent of: read a code, complete
 * MFA, revoke a session, delete a user.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes, randomUUID } from 'node:crypto'
import { createAdminApi } from './admin.js'
import { createOriginPolicy, isLoopbackHostname, type OriginPolicy } from './cors.js'
import { EmulatorError, readJsonObject, sendJson, sendNoContent, textMember } from './http.js'
import { NonceStore } from './nonces.js'
import { checkEmulatorOptions, type EmulatorOptions } from './options.js'
import { OtpCodes, type OtpChannel } from './otp.js'
import { SessionStore, sessionObject, type EmulatedSession, type SessionObject } from './sessions.js'
import { DEFAULT_EVM_CHAIN_IDS, informationFields, projectSettings } from './settings.js'
import { mintElevatedToken, mintSessionTokens, sessionScope, type Minter } from './tokens.js'
import { checkedScope, elevatedTokenPolicy, requestedScopes } from './step-up.js'
import type { TokenScope } from '../step-up.js'
import {
  UserStore,
  e164,
  holdsCredential,
  missingFields,
  sdkUser,
  stepUpCredentials,
  walletObject,
  type EmulatedUser,
  type SignInOutcome,
  type VerifiedPhone,
} from './users.js'
import { phoneOf } from './phone.js'
import { checkWalletProof, type WalletProofContext } from './wallet-proof.js'
import { WebhookSender, type WebhookDelivery } from './webhooks.js'
import { cookieValue } from '../../http/extract.js'
import { DEFAULT_COOKIE_NAME } from '../../http/options.js'

/** A session as the emulator reports it: Dynamic's Session object plus whose it is and its MFA state. */
export interface EmulatorSessionInfo extends SessionObject {
  /** The user the session belongs to. */
  readonly userId: string
  /** True while the session waits for MFA: its tokens lack `user:basic`. */
  readonly mfaPending: boolean
}

/** The emulator's calls, for tests that hold the server. */
export interface DynamicEmulator {
  /** The last code sent to `email`, or texted to a phone number (E.164: `+15555550123`). */
  lastCode(emailOrPhone: string): string | undefined
  /** Completes pending MFA of a session (named by its id or any `sid` of its tokens); the next refresh carries `user:basic`. False when there is no such live session. */
  completeMfa(sessionId: string): boolean
  /**
   * Revokes a session as an admin would: `GET session` answers 401 and `admin.user.session.revoked`
   * is sent, with {@link adminUserId} as its `userId`. Undefined when unknown.
   */
  revokeSession(sessionId: string): Promise<EmulatorSessionInfo | undefined>
  /** Deletes a user: their sessions end and `user.deleted` is sent. False when unknown. */
  deleteUser(userId: string): Promise<boolean>
  /** A session by its id or any `sid` of its tokens. */
  session(sessionId: string): EmulatorSessionInfo | undefined
  /** The webhook delivery attempts so far (the last 100), oldest first. */
  readonly webhookDeliveries: readonly WebhookDelivery[]
  /** Resolves once no failed webhook delivery is waiting to be retried. */
  webhooksIdle(): Promise<void>
  /** The `dyn_` token of the emulated admin API (`Authorization: Bearer <adminToken>`). */
  readonly adminToken: string
  /** The id of the emulated admin: the `userId` of the webhooks an admin's action causes. */
  readonly adminUserId: string
}

/** What the HTTP server needs of the emulator. */
export interface EmulatorCore {
  readonly api: DynamicEmulator
  readonly policy: OriginPolicy
  /** Answers `req` when it is one of the emulator's routes; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>
  /** Stops what runs on its own (webhook retries). */
  close(): void
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
/** A compressed P-256 public key in lowercase hex, as Dynamic's keychain writes it. */
const SESSION_PUBLIC_KEY = /^0[23][0-9a-f]{64}$/

const unauthorized = (message: string, code = 'unauthorized'): EmulatorError => new EmulatorError(401, code, message)

/** The hostname of a `host[:port]`. */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1)
  const colon = host.lastIndexOf(':')
  return colon >= 0 ? host.slice(0, colon) : host
}

/** Creates the emulator for `issuer`'s environment. Throws a TypeError for a bad option. */
export function createEmulator(
  issuer: Minter & { readonly environmentId: string },
  options: EmulatorOptions & { anyHost?: boolean } = {},
): EmulatorCore {
  checkEmulatorOptions(options)
  const environmentId = issuer.environmentId
  const environmentName = options.environmentName ?? 'sandbox'
  const lifetime = options.tokenLifetime ?? 7200
  const log = options.log ?? (() => {})
  const requiredFields = informationFields(options.requiredFields ?? [])
  const settings = projectSettings(options, environmentName)
  const policy = createOriginPolicy({
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    ...(options.anyHost ? { anyHost: true } : {}),
  })
  const otp = new OtpCodes(options.otpCode)
  const users = new UserStore()
  const sessions = new SessionStore()
  const webhooks = new WebhookSender(options.webhook, { id: environmentId, name: environmentName }, log)
  const nonces = new NonceStore()
  const evmChainIds = options.evmChainIds ?? DEFAULT_EVM_CHAIN_IDS
  const adminToken = options.adminToken ?? `dyn_${randomBytes(24).toString('base64url')}`
  const adminUserId = randomUUID()
  const sdkBase = `/api/v0/sdk/${environmentId}/`
  // Hosts a sign-in message may name when its request has no Origin (a page sends one).
  const listedHosts = new Set((options.corsOrigins ?? []).map((origin) => new URL(origin).host))

  const info = (session: EmulatedSession): EmulatorSessionInfo => ({
    ...sessionObject(session),
    userId: session.userId,
    mfaPending: session.mfaPending,
  })

  /** The tokens and user of `session` now, as Dynamic's `VerifyResponse`. */
  function verifyResponse(session: EmulatedSession, user: EmulatedUser): Record<string, unknown> {
    const missing = missingFields(user, requiredFields)
    const scope = sessionScope(session, missing)
    const tokens = mintSessionTokens(issuer, { session, user, scope, missing, lifetime })
    sessions.remember(session, [tokens.minifiedJwt, tokens.jwt], tokens.expiresAt)
    return { user: sdkUser(user, { environmentId, sessionId: session.currentSid, scope, missing }), ...tokens }
  }

  /** `answer` with an elevated access token for `scopes` (when there are any) of `session`. */
  function withElevatedToken(
    answer: Record<string, unknown>,
    session: EmulatedSession,
    scopes: readonly TokenScope[] | undefined,
  ): Record<string, unknown> {
    if (!scopes?.length) return answer
    const elevatedAccessToken = mintElevatedToken(issuer, {
      session,
      scopes,
      ...elevatedTokenPolicy(scopes, options.stepUp),
    })
    log(`elevated access token for ${scopes.join(' ')}`)
    return { ...answer, elevatedAccessToken }
  }

  /**
   * The session key a sign-in binds: Dynamic's client sends it in `x-dyn-session-public-key` on
   * every call; Dynamic's headless sign-in for agents sends it as the body's `sessionPublicKey`,
   * which is also what marks the session as server-side (`server_auth`), an assumption the
   * local-Dynamic guide states.
   */
  function sessionKeyOf(
    req: IncomingMessage,
    body: Record<string, unknown>,
  ): { sessionPublicKey: string | undefined; serverAuth: boolean } {
    const header = req.headers['x-dyn-session-public-key']
    const fromBody = body.sessionPublicKey
    const key = fromBody ?? (typeof header === 'string' ? header : undefined)
    if (key !== undefined && (typeof key !== 'string' || !SESSION_PUBLIC_KEY.test(key))) {
      throw new EmulatorError(
        400,
        'invalid_session_public_key',
        'The session public key must be a compressed P-256 point: 66 lowercase hex characters starting 02 or 03.',
      )
    }
    return { sessionPublicKey: key, serverAuth: fromBody !== undefined }
  }

  /** The live session and user of the request's token (Bearer, else Dynamic's cookie). */
  function authenticate(req: IncomingMessage): { session: EmulatedSession; user: EmulatedUser } {
    const header = req.headers.authorization
    const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined
    const token = bearer ?? cookieValue(req.headers.cookie ?? '', DEFAULT_COOKIE_NAME)
    if (!token) throw unauthorized('No token: send Authorization: Bearer <token>.')
    const session = sessions.byToken(token)
    if (!session) throw unauthorized('The token is unknown to this local Dynamic or has expired.', 'invalid_token')
    if (session.revokedAt) throw unauthorized('The session has been revoked.', 'session_revoked')
    const user = users.get(session.userId)
    if (!user) throw unauthorized('The user has been deleted.', 'user_deleted')
    return { session, user }
  }

  /** Ends a session: the user logged out, or an admin revoked it (then the event says so, and names the admin). */
  async function revoke(session: EmulatedSession, by: 'user' | 'admin' = 'user'): Promise<void> {
    if (session.revokedAt) return
    session.revokedAt = new Date()
    if (by === 'admin') await webhooks.send('admin.user.session.revoked', adminUserId, { ...sessionObject(session) })
    else await webhooks.send('user.session.revoked', session.userId, { ...sessionObject(session) })
  }

  /** Opens a session for a sign-in and answers Dynamic's `VerifyResponse`; tells the webhook. */
  async function openSession(
    req: IncomingMessage,
    res: ServerResponse,
    cors: Record<string, string>,
    outcome: SignInOutcome,
    body: Record<string, unknown>,
    key: ReturnType<typeof sessionKeyOf>,
  ): Promise<void> {
    const { user } = outcome
    const origin = req.headers.origin
    const session = sessions.create({
      userId: user.id,
      ipAddress: req.socket.remoteAddress ?? null,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 512) : null,
      audience: typeof origin === 'string' && origin !== 'null' ? origin : undefined,
      mfaPending: options.requireMfa === true,
      signInCredentialId: outcome.credential.id,
      ...key,
    })
    // Dynamic's allowNewMFALinking: with MFA optional and no MFA method registered (the emulator
    // registers none), the sign-in also answers a credential:link elevated token.
    const linking = body.allowNewMFALinking === true && options.requireMfa !== true
    const answer = withElevatedToken(verifyResponse(session, user), session, linking ? ['credential:link'] : undefined)
    if (outcome.created) await webhooks.send('user.created', user.id, sdkUser(user, { environmentId }))
    await webhooks.send('user.session.created', user.id, {
      ...sessionObject(session),
      verifiedCredentials: user.credentials.map((credential) => ({ ...credential })),
    })
    sendJson(res, 200, answer, cors)
  }

  /**
   * Answers a signed-in user's email or SMS verification: the credential it linked (or `taken`
   * when another user holds it), the session's tokens, an elevated token for a step-up, and the
   * user.updated webhook when the credential is new.
   */
  async function answerVerification(
    res: ServerResponse,
    cors: Record<string, string>,
    { session, user }: { session: EmulatedSession; user: EmulatedUser },
    scopes: TokenScope[] | undefined,
    linked: { added: boolean } | string,
    taken: () => EmulatorError,
  ): Promise<void> {
    if (typeof linked === 'string') throw taken()
    const answer = withElevatedToken(verifyResponse(session, user), session, scopes)
    if (linked.added) await webhooks.send('user.updated', user.id, sdkUser(user, { environmentId }))
    sendJson(res, 200, answer, cors)
  }

  /** A step-up verifies a credential the user already has; a new one is linked, not stepped up with. */
  const stepUpWithNewCredential = (): EmulatorError =>
    new EmulatorError(
      422,
      'step_up_credential_not_linked',
      'A step-up verifies a credential the user already has: verify one of the credentials stepUp/check lists (link a new one first, without requestedScopes).',
    )

  /** The phone numbers codes were texted to, by verification (at most 10,000, the oldest dropped first). */
  const phones = new Map<string, VerifiedPhone>()

  /** Redeems an SMS code; the phone number it was sent to. */
  function redeemPhone(body: Record<string, unknown>): VerifiedPhone {
    const uuid = textMember(body, 'verificationUUID', 64)
    redeemCode(body, 'sms')
    const phone = phones.get(uuid)
    phones.delete(uuid)
    if (!phone)
      throw new EmulatorError(400, 'unknown_verification', 'No such verification (it was used, or never started).')
    return phone
  }

  /** What a wallet's proof is checked against. */
  function walletContext(req: IncomingMessage): WalletProofContext {
    const origin = req.headers.origin
    return {
      environmentId,
      nonces,
      evmChainIds,
      origin: typeof origin === 'string' && origin !== 'null' ? origin : undefined,
      domainAllowed: (host) => listedHosts.has(host) || isLoopbackHostname(hostnameOf(host)),
    }
  }

  /** Redeems a code sent through `channel`; answers its email (or E.164 number), or why not. */
  function redeemCode(body: Record<string, unknown>, channel: OtpChannel = 'email'): string {
    const outcome = otp.redeem(
      textMember(body, 'verificationUUID', 64),
      textMember(body, 'verificationToken', 64),
      channel,
    )
    if (typeof outcome !== 'string') return outcome.target
    const message = {
      unknown_verification: 'No such verification (it was used, or never started).',
      expired: 'The code has expired: send a new one.',
      too_many_attempts: 'Too many wrong codes: send a new one.',
      wrong_code: 'The code is not right.',
    }[outcome]
    throw new EmulatorError(
      outcome === 'too_many_attempts' ? 429 : 400,
      outcome === 'wrong_code' ? 'invalid_verification_code' : outcome,
      message,
    )
  }

  async function deleteUser(userId: string): Promise<EmulatedUser | undefined> {
    const user = users.get(userId)
    if (!user) return undefined
    const now = new Date()
    for (const session of sessions.ofUser(userId)) session.revokedAt ??= now
    users.delete(userId)
    await webhooks.send('user.deleted', userId, { ...sdkUser(user, { environmentId }), deletedAt: now.toISOString() })
    return user
  }

  function completeMfa(id: string): boolean {
    const session = sessions.bySid(id)
    if (!session || session.revokedAt || !users.get(session.userId)) return false
    session.mfaPending = false
    return true
  }

  const api: DynamicEmulator = {
    lastCode: (email) => otp.lastCode(email),
    completeMfa,
    async revokeSession(id) {
      const session = sessions.bySid(id)
      if (!session) return undefined
      await revoke(session, 'admin')
      return info(session)
    },
    deleteUser: async (userId) => (await deleteUser(userId)) !== undefined,
    session(id) {
      const session = sessions.bySid(id)
      return session ? info(session) : undefined
    },
    get webhookDeliveries() {
      return webhooks.deliveries
    },
    webhooksIdle: () => webhooks.idle(),
    adminToken,
    adminUserId,
  }

  const admin = createAdminApi({
    environmentId,
    adminToken,
    user: (id) => {
      const user = users.get(id)
      return user ? { ...sdkUser(user, { environmentId }), createdAt: user.createdAt.toISOString() } : undefined
    },
    revokeSession: async (id) => {
      const session = sessions.bySid(id)
      if (!session) return undefined
      await revoke(session, 'admin')
      return sessionObject(session)
    },
  })

  /** Dynamic's SDK routes. */
  async function sdkRoute(
    route: string,
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    cors: Record<string, string>,
  ): Promise<boolean> {
    switch (`${method} ${route}`) {
      case 'GET settings':
        sendJson(res, 200, settings, cors)
        return true
      case 'GET nonces': {
        const count = Math.min(5, Math.max(1, Number.parseInt(url.searchParams.get('count') ?? '5', 10) || 5))
        sendJson(res, 200, { nonces: nonces.issue(count) }, cors)
        return true
      }
      case 'POST emailVerifications/create': {
        const email = textMember(await readJsonObject(req), 'email').trim()
        if (!EMAIL.test(email)) throw new EmulatorError(400, 'invalid_email', 'The email address is not valid.')
        const { verificationUUID, code } = otp.create(email)
        log(`email code for ${email}: ${code}`)
        options.onOtp?.({ email, code, verificationUUID })
        sendJson(res, 201, { verificationUUID, email }, cors)
        return true
      }
      case 'POST emailVerifications/signin': {
        const body = await readJsonObject(req)
        // The key is checked before the code is spent and the user made.
        const key = sessionKeyOf(req, body)
        await openSession(req, res, cors, users.signInWithEmail(redeemCode(body)), body, key)
        return true
      }
      case 'POST emailVerifications/verify': {
        // A signed-in user adds an email, or verifies one of theirs again for a step-up
        // (requestedScopes): the code proves it, the next tokens carry it.
        const signedIn = authenticate(req)
        const body = await readJsonObject(req)
        const scopes = requestedScopes(body)
        const email = redeemCode(body)
        if (scopes && !holdsCredential(signedIn.user, { email })) throw stepUpWithNewCredential()
        const linked = users.linkEmail(signedIn.user, email)
        await answerVerification(
          res,
          cors,
          signedIn,
          scopes,
          linked,
          () =>
            new EmulatorError(
              409,
              'email_already_exists',
              `${email} belongs to another user: sign in with it, or use another address.`,
            ),
        )
        return true
      }
      case 'POST connect': {
        // Dynamic records that a wallet connected (analytics); the emulator only checks the body.
        const body = await readJsonObject(req)
        textMember(body, 'address', 256)
        textMember(body, 'chain', 16)
        sendNoContent(res, cors)
        return true
      }
      case 'POST smsVerifications/create': {
        const phone = phoneOf(await readJsonObject(req))
        const { verificationUUID, code } = otp.create(e164(phone), 'sms')
        phones.set(verificationUUID, phone)
        // Bounded, as the codes are: the oldest go first.
        if (phones.size > 10_000) phones.delete(phones.keys().next().value as string)
        log(`sms code for ${e164(phone)}: ${code}`)
        options.onSmsOtp?.({ phone: e164(phone), code, verificationUUID })
        sendJson(res, 201, { verificationUUID, ...phone }, cors)
        return true
      }
      case 'POST smsVerifications/signin': {
        const body = await readJsonObject(req)
        const key = sessionKeyOf(req, body)
        await openSession(req, res, cors, users.signInWithPhone(redeemPhone(body)), body, key)
        return true
      }
      case 'POST smsVerifications/verify': {
        const signedIn = authenticate(req)
        const body = await readJsonObject(req)
        const scopes = requestedScopes(body)
        const phone = redeemPhone(body)
        if (scopes && !holdsCredential(signedIn.user, { phone })) throw stepUpWithNewCredential()
        const linked = users.linkPhone(signedIn.user, phone)
        await answerVerification(
          res,
          cors,
          signedIn,
          scopes,
          linked,
          () =>
            new EmulatorError(
              409,
              'phone_number_already_exists',
              `${e164(phone)} belongs to another user: sign in with it, or use another number.`,
            ),
        )
        return true
      }
      case 'POST wallets/signin': {
        const body = await readJsonObject(req)
        const key = sessionKeyOf(req, body)
        const wallet = checkWalletProof(body, walletContext(req))
        await openSession(req, res, cors, users.signInWithWallet(wallet), body, key)
        return true
      }
      case 'POST wallets/verify': {
        // Step-up with a wallet: the user signs again with a wallet already theirs.
        const { session, user } = authenticate(req)
        const body = await readJsonObject(req)
        const scopes = requestedScopes(body)
        if (!scopes)
          throw new EmulatorError(
            400,
            'invalid_request',
            'wallets/verify is the step-up verification: send requestedScopes (to link a wallet, use verify/link).',
          )
        const wallet = checkWalletProof(body, walletContext(req))
        if (!holdsCredential(user, { wallet })) throw stepUpWithNewCredential()
        users.linkWallet(user, wallet) // verified again: now the last verified credential
        sendJson(res, 200, withElevatedToken(verifyResponse(session, user), session, scopes), cors)
        return true
      }
      case 'POST stepUp/check': {
        const { session, user } = authenticate(req)
        const scope = checkedScope(await readJsonObject(req))
        const isRequired = !(options.stepUp?.notRequired ?? []).includes(scope)
        const credentials = stepUpCredentials(user)
        const preferred =
          credentials.find((credential) => credential.id === session.signInCredentialId) ?? credentials[0]
        sendJson(
          res,
          200,
          {
            isRequired,
            credentials: isRequired ? credentials : [],
            ...(isRequired && preferred ? { defaultCredentialId: preferred.id } : {}),
          },
          cors,
        )
        return true
      }
      case 'POST verify/link': {
        const { session, user } = authenticate(req)
        const wallet = checkWalletProof(await readJsonObject(req), walletContext(req))
        const linked = users.linkWallet(user, wallet)
        // Dynamic's code for this case, which its client turns into WalletAlreadyLinkedToAnotherUserError.
        if (typeof linked === 'string')
          throw new EmulatorError(
            409,
            'reassign_wallet_confirm',
            'This wallet belongs to another user: sign in with it, or unlink it from that user first.',
          )
        const answer = verifyResponse(session, user)
        if (linked.added) {
          await webhooks.send('wallet.linked', user.id, walletObject(user, linked.credential))
          await webhooks.send('user.updated', user.id, sdkUser(user, { environmentId }))
        }
        sendJson(res, 200, answer, cors)
        return true
      }
      case 'POST verify/unlink': {
        const { session, user } = authenticate(req)
        const body = await readJsonObject(req)
        // Dynamic's VerifyUnlinkRequest names the credential `walletId`, `verifiedCredentialId` (or, misspelt, `verifiedCrentialId`).
        const named = ['walletId', 'verifiedCredentialId', 'verifiedCrentialId'].find(
          (name) => body[name] !== undefined && body[name] !== null,
        )
        if (!named)
          throw new EmulatorError(
            400,
            'invalid_request',
            'Name the credential to unlink: { "walletId": "<verified credential id>" } or { "verifiedCredentialId": "…" }.',
          )
        const removed = users.unlink(user, textMember(body, named, 64))
        if (removed === 'unknown_credential')
          throw new EmulatorError(404, 'credential_not_found', 'The user has no verified credential with that id.')
        if (removed === 'last_credential')
          throw new EmulatorError(
            422,
            'last_credential',
            "This is the user's only credential: link another one before unlinking it.",
          )
        if (typeof removed === 'string') throw new EmulatorError(409, removed, 'The credential cannot be unlinked.')
        const answer = verifyResponse(session, user)
        if (removed.format === 'blockchain')
          await webhooks.send('wallet.unlinked', user.id, walletObject(user, removed))
        await webhooks.send('user.updated', user.id, sdkUser(user, { environmentId }))
        sendJson(res, 200, answer, cors)
        return true
      }
      case 'GET users': {
        const { session, user } = authenticate(req)
        const missing = missingFields(user, requiredFields)
        sendJson(
          res,
          200,
          sdkUser(user, {
            environmentId,
            sessionId: session.currentSid,
            scope: sessionScope(session, missing),
            missing,
          }),
          cors,
        )
        return true
      }
      case 'PUT users': {
        const { session, user } = authenticate(req)
        const problem = users.update(user, await readJsonObject(req))
        if (problem) throw new EmulatorError(422, 'invalid_user_fields', problem)
        const answer = { ...verifyResponse(session, user), nextView: 'done' }
        await webhooks.send('user.updated', user.id, sdkUser(user, { environmentId }))
        sendJson(res, 200, answer, cors)
        return true
      }
      case 'DELETE users': {
        const { user } = authenticate(req)
        await deleteUser(user.id)
        sendNoContent(res, cors)
        return true
      }
      case 'POST refresh': {
        const { session, user } = authenticate(req)
        sessions.rotate(session)
        sendJson(res, 200, verifyResponse(session, user), cors)
        return true
      }
      case 'POST revoke': {
        let session: EmulatedSession | undefined
        try {
          session = authenticate(req).session
        } catch (error) {
          // Logging out of a session that has already ended is done.
          if (!(error instanceof EmulatorError && (error.code === 'session_revoked' || error.code === 'user_deleted')))
            throw error
        }
        if (session) await revoke(session)
        sendNoContent(res, cors)
        return true
      }
      case 'GET session':
        authenticate(req)
        sendNoContent(res, cors)
        return true
      default:
        // The emulator server's own endpoints live here too.
        if (route === 'verify' || route === 'logout' || route.startsWith('.well-known/')) return false
        throw new EmulatorError(
          404,
          'not_emulated',
          `This local Dynamic does not emulate ${method} /sdk/{environmentId}/${route.slice(0, 100)}.`,
        )
    }
  }

  /** The emulator's own calls. */
  async function emulatorRoute(
    path: string,
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    cors: Record<string, string>,
  ): Promise<boolean> {
    if (path === '/emulator/otp') {
      if (method !== 'GET')
        throw new EmulatorError(405, 'method_not_allowed', 'Read codes with GET /emulator/otp?email=<address>.')
      const email = url.searchParams.get('email') ?? url.searchParams.get('phone')
      if (!email)
        throw new EmulatorError(
          400,
          'invalid_request',
          'Name the address or the number: GET /emulator/otp?email=<address> or ?phone=<+E.164 number>.',
        )
      const code = otp.lastCode(email)
      if (code === undefined) throw new EmulatorError(404, 'no_code', `No code has been sent to ${email}.`)
      sendJson(res, 200, { code }, cors)
      return true
    }
    if (path === '/emulator/mfa/complete') {
      if (method !== 'POST') throw new EmulatorError(405, 'method_not_allowed', 'Complete MFA with POST.')
      const body = await readJsonObject(req)
      let ids: string[]
      if (body.sessionId !== undefined) ids = [textMember(body, 'sessionId', 64)]
      else if (body.email !== undefined) {
        const user = users.byEmail(textMember(body, 'email'))
        ids = user
          ? sessions
              .ofUser(user.id)
              .filter((session) => !session.revokedAt && session.mfaPending)
              .map((session) => session.id)
          : []
      } else
        throw new EmulatorError(400, 'invalid_request', 'Send { "sessionId": "<sid>" } or { "email": "<address>" }.')
      const completed = ids.filter((id) => completeMfa(id)).map((id) => sessions.bySid(id)!.id)
      if (completed.length === 0) throw new EmulatorError(404, 'no_session', 'No live session matches.')
      sendJson(res, 200, { completed }, cors)
      return true
    }
    const sessionMatch = /^\/emulator\/sessions\/([^/]{1,64})(\/revoke)?$/.exec(path)
    if (sessionMatch) {
      const id = decodeURIComponent(sessionMatch[1]!)
      const session = sessions.bySid(id)
      if (sessionMatch[2] ? method !== 'POST' : method !== 'GET')
        throw new EmulatorError(
          405,
          'method_not_allowed',
          sessionMatch[2] ? 'Revoke with POST.' : 'Read a session with GET.',
        )
      if (!session) throw new EmulatorError(404, 'no_session', `No session ${id}.`)
      if (sessionMatch[2]) await revoke(session, 'admin')
      sendJson(res, 200, info(session), cors)
      return true
    }
    const userMatch = /^\/emulator\/users\/([^/]{1,64})$/.exec(path)
    if (userMatch) {
      if (method !== 'DELETE') throw new EmulatorError(405, 'method_not_allowed', 'Delete a user with DELETE.')
      const user = await deleteUser(decodeURIComponent(userMatch[1]!))
      if (!user) throw new EmulatorError(404, 'no_user', 'No such user.')
      sendJson(res, 200, { deleted: sdkUser(user, { environmentId }) }, cors)
      return true
    }
    return false
  }

  return {
    api,
    policy,
    close: () => webhooks.close(),
    async handle(req, res, url) {
      const method = req.method ?? 'GET'
      const cors = policy.headers(req)
      if (url.pathname.startsWith(sdkBase))
        return sdkRoute(url.pathname.slice(sdkBase.length), method, req, res, url, cors)
      if (url.pathname.startsWith('/emulator/')) return emulatorRoute(url.pathname, method, req, res, url, cors)
      return admin.handle(url.pathname, method, req, res, cors)
    },
  }
}
