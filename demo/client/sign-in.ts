/**
 * The demo page's sign-in, through Dynamic's own JavaScript client (`@dynamic-labs-sdk/client`,
 * unmodified) pointed at the local Dynamic instead of Dynamic's servers. Bundled for the browser
 * by demo/bundle.ts and loaded by public/app.js.
 *
 * The client signs in with a wallet (it writes the EIP-4361 message, the wallet signs it) or with
 * an email code, links a second wallet or an email, unlinks a wallet, keeps the access token in
 * `client.token`, writes the `DYNAMIC_JWT_TOKEN` cookie itself when the project settings ask for
 * cookies, and signs out by revoking the session. The wallets are found the way a page finds
 * browser extensions: EIP-6963 announcements on `window`. Nothing here talks to Dynamic: the API
 * base URL is the local one and the client's telemetry is switched off.
 */
import {
  checkStepUpAuth,
  connectAndVerifyWithWalletProvider,
  createDynamicClient,
  getElevatedAccessToken,
  getWalletAccounts,
  initializeClient,
  logout,
  removeWalletAccount,
  sendEmailOTP,
  TokenScope,
  verifyOTP,
  type DynamicClient,
} from '@dynamic-labs-sdk/client'
import { getCore, getWalletProviderRegistry, WalletProviderPriority } from '@dynamic-labs-sdk/client/core'
import {
  announceEip6963,
  createTestWallet,
  eip1193WalletProvider,
  type Eip1193Provider,
  type Eip6963ProviderInfo,
} from '../../src/testing/test-wallet.js'
import { fetchWithSessionKey } from '../../src/session-key/client.js'

/** Where the client finds Dynamic's SDK API (the local one) and for which environment. */
export interface SignInConfig {
  environmentId: string
  /** e.g. `http://127.0.0.1:43121/api/v0`: the client appends `/sdk/<environmentId>/…`. */
  apiBaseUrl: string
}

/** One signed-in session, as the page shows it. */
export interface SignedIn {
  /** The access token: `client.token`, the minified JWT a backend verifies. */
  token: string
  /** The ID token (the full `jwt` of the verify answer), when the API handed one over. */
  idToken: string | null
  userId: string
  email: string | null
  /** The wallet the user signed in with or verified last, when it is a wallet. */
  address: string | null
  sessionId: string | null
  /** The user's verified credentials (wallets and emails), as the client holds them. */
  credentials: Credential[]
  /** The id of the credential verified last (`lastVerifiedCredentialId`). */
  lastVerifiedCredentialId: string | null
  /** When the session expires, in milliseconds since the epoch. */
  expiresAt: number | null
}

/** A verified credential, for display. */
export interface Credential {
  id: string
  format: string
  /** The address (wallet) or the email. */
  identifier: string
  chain: string | null
  walletName: string | null
}

/** A wallet the page found (an EIP-6963 announcement), registered in Dynamic's client. */
export interface FoundWallet {
  /** The client's wallet provider key (`testwalletevm:browserExtension`). */
  key: string
  name: string
  address: string | null
}

/** A started email sign-in: the code went out, the user has to type it. */
export interface PendingCode {
  email: string
  verificationUUID: string
}

/** What the page uses: the client's own functions, in the order a sign-in calls them. */
export interface DemoSignIn {
  readonly client: DynamicClient
  /** Whether the project settings ask for the `DYNAMIC_JWT_TOKEN` cookie (the client then writes it). */
  readonly cookieMode: boolean
  /** Sends a one-time code to `email` (`sendEmailOTP`). */
  sendCode(email: string): Promise<PendingCode>
  /** Verifies the code (`verifyOTP`) and returns the session. */
  verifyCode(pending: PendingCode, code: string): Promise<SignedIn>
  /** The wallets announced to the page (EIP-6963), registered in the client. */
  wallets(): FoundWallet[]
  /** Signs in with a wallet, or links it when signed in (`connectAndVerifyWithWalletProvider`). */
  verifyWallet(key: string): Promise<SignedIn>
  /** Unlinks a wallet credential (`removeWalletAccount`). */
  unlinkWallet(credentialId: string): Promise<SignedIn>
  /** The session the client holds now, e.g. after a reload in cookie mode; null when signed out. */
  current(): SignedIn | null
  /** Signs out through the client (`logout`): it revokes the session and clears the cookie. */
  signOut(): Promise<void>
  /** Whether Dynamic asks for a step-up before `wallet:export`, and with which credentials (`checkStepUpAuth`). */
  checkStepUp(): Promise<{ isRequired: boolean; formats: string[] }>
  /**
   * Steps up for `wallet:export` with an email code: the code verified again with
   * `requestedScopes`, after which the client holds an elevated access token for that scope.
   */
  verifyStepUpCode(pending: PendingCode, code: string): Promise<void>
  /** The client's elevated access token for `wallet:export` (`getElevatedAccessToken`, which consumes a single-use one), or null. */
  takeElevatedToken(): string | null
  /**
   * `fetch` signed with the session key in the client's keychain (`fetchWithSessionKey` of
   * dynamic-guard/session-key over `getCore(client)`), with the access token as the bearer.
   */
  signedFetch(url: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Response>
}

function describe(client: DynamicClient, idToken: string | null): SignedIn | null {
  const token = client.token
  const user = client.user
  if (!token || !user) return null
  const claims = payloadOf(token)
  const credentials: Credential[] = (user.verifiedCredentials ?? []).map(
    (credential: {
      id: string
      format: string
      address?: string
      email?: string
      chain?: string
      walletName?: string
    }) => ({
      id: credential.id,
      format: String(credential.format),
      identifier: credential.address ?? credential.email ?? '',
      chain: credential.chain ?? null,
      walletName: credential.walletName ?? null,
    }),
  )
  const last = credentials.find((credential) => credential.id === user.lastVerifiedCredentialId)
  return {
    token,
    idToken,
    userId: user.id,
    email: user.email ?? null,
    address:
      last?.format === 'blockchain'
        ? last.identifier
        : (credentials.find((credential) => credential.format === 'blockchain')?.identifier ?? null),
    sessionId: typeof claims.sid === 'string' ? claims.sid : null,
    credentials,
    lastVerifiedCredentialId: user.lastVerifiedCredentialId ?? null,
    expiresAt: client.sessionExpiresAt ? client.sessionExpiresAt.getTime() : null,
  }
}

/** What the page was given: a wallet found through EIP-6963. */
interface Announced {
  info: Eip6963ProviderInfo
  provider: Eip1193Provider
}

/**
 * Finds the wallets announced to the page (EIP-6963: ask with `eip6963:requestProvider`, listen
 * to `eip6963:announceProvider`), as Dynamic's EVM extension does for browser extensions.
 */
function discoverWallets(): Announced[] {
  const found = new Map<string, Announced>()
  const listener = (event: Event) => {
    const detail = (event as CustomEvent<Announced>).detail
    if (detail?.info?.uuid && detail.provider) found.set(detail.info.uuid, detail)
  }
  window.addEventListener('eip6963:announceProvider', listener)
  window.dispatchEvent(new Event('eip6963:requestProvider'))
  window.removeEventListener('eip6963:announceProvider', listener)
  return [...found.values()]
}

/**
 * Injects a test wallet into the page, as a browser extension would: an EIP-1193 provider over a
 * key held in memory, announced with EIP-6963. The demo's wallets are test keys the demo server
 * made at start; never put a real wallet's key here.
 */
export function injectTestWallet(input: { privateKey: string; name: string; rdns: string }): string {
  const wallet = createTestWallet({ privateKey: input.privateKey })
  announceEip6963(
    wallet.eip1193(),
    {
      uuid: crypto.randomUUID(),
      name: input.name,
      icon: 'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"%3E%3Ccircle cx="16" cy="16" r="15" fill="%234f46e5"/%3E%3C/svg%3E',
      rdns: input.rdns,
    },
    window,
  )
  return wallet.address
}

/** Reads a JWT's payload for display; it proves nothing (the server verifies). */
function payloadOf(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1] ?? ''
    const binary = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    )
    const value: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0))))
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

type ClientLogger = NonNullable<NonNullable<Parameters<typeof createDynamicClient>[0]['coreConfig']>['logger']>
type LogLevel = 'debug' | 'info' | 'warn' | 'error'
type LogListener = (level: LogLevel, message: string, ...args: unknown[]) => void

/**
 * The client's logger, as its own (`[time] LEVEL: message`, warnings and errors shown), with one
 * difference: the 401 that answers the session refresh the client runs while it initialises in
 * cookie mode, signed out, is logged as information, not as an error. The client's own source
 * calls that 401 expected ("the SDK should finish its initialization process without throwing
 * an error because that is an expected behavior"); every other message keeps its level.
 */
function clientLogger(): ClientLogger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }
  const listeners = new Set<LogListener>()
  const expectedAtInit = (message: string, args: unknown[]) =>
    message === 'Session expired during initialization' && (args[0] as { status?: unknown } | undefined)?.status === 401
  const log = (level: LogLevel, message: string, ...args: unknown[]) => {
    const shown = level === 'error' && expectedAtInit(message, args) ? 'info' : level
    for (const listener of listeners) listener(shown, message, ...args)
    if (order[shown] < order.warn) return
    const write = shown === 'error' ? console.error : console.warn
    write(`[${new Date().toISOString()}] ${shown.toUpperCase()}: ${message}`, ...args)
  }
  const logger = {
    debug: (message: string, ...args: unknown[]) => log('debug', message, ...args),
    info: (message: string, ...args: unknown[]) => log('info', message, ...args),
    warn: (message: string, ...args: unknown[]) => log('warn', message, ...args),
    error: (message: string, ...args: unknown[]) => log('error', message, ...args),
    on: (_event: 'log', listener: LogListener) => {
      listeners.add(listener)
      return logger
    },
    off: (_event: 'log', listener?: LogListener) => {
      if (listener) listeners.delete(listener)
      else listeners.clear()
      return logger
    },
  }
  return logger as unknown as ClientLogger
}

/** Creates Dynamic's client for the local Dynamic and waits until it has initialised. */
export async function startSignIn(config: SignInConfig): Promise<DemoSignIn> {
  const client = createDynamicClient({
    environmentId: config.environmentId,
    autoInitialize: false,
    coreConfig: { apiBaseUrl: config.apiBaseUrl, logger: clientLogger() },
    // Telemetry would go to Dynamic's log service: off, so that nothing leaves the machine.
    instrumentation: { enabled: false },
    metadata: { name: 'dynamic-guard demo' },
  })
  await initializeClient(client)
  const cookieMode = (client.projectSettings?.security?.auth?.storage ?? []).some(
    (storage: unknown) => String(storage) === 'cookie',
  )
  // The ID token of this page's last sign-in (the client keeps only the access token in view).
  let idToken: string | null = null
  // The full token the client holds as `legacyToken`, after a wallet sign-in or a link.
  const heldIdToken = (): string | null =>
    (getCore(client).state.get() as { legacyToken?: string | null }).legacyToken ?? null

  // The wallets announced to the page, registered as Dynamic's client's wallet providers.
  const wallets: FoundWallet[] = []
  for (const { info, provider } of discoverWallets()) {
    const walletProvider = eip1193WalletProvider(provider, { displayName: info.name, icon: info.icon })
    getWalletProviderRegistry(client).register({
      priority: WalletProviderPriority.WALLET_SELF_ANNOUNCEMENT_STANDARD,
      walletProvider: walletProvider as never,
    })
    const accounts = (await provider.request({ method: 'eth_accounts' })) as string[]
    wallets.push({ key: walletProvider.key, name: info.name, address: accounts[0] ?? null })
  }

  return {
    client,
    cookieMode,
    async sendCode(email) {
      const { verificationUUID } = await sendEmailOTP({ email }, client)
      return { email, verificationUUID }
    },
    async verifyCode(pending, code) {
      const response = await verifyOTP(
        {
          otpVerification: { email: pending.email, verificationUUID: pending.verificationUUID },
          verificationToken: code,
        },
        client,
      )
      idToken = typeof response.jwt === 'string' ? response.jwt : null
      const session = describe(client, idToken)
      if (!session) throw new Error('The client verified the code but holds no token.')
      return session
    },
    wallets: () => wallets,
    async verifyWallet(key) {
      await connectAndVerifyWithWalletProvider({ walletProviderKey: key }, client)
      idToken = heldIdToken()
      const session = describe(client, idToken)
      if (!session) throw new Error('The client verified the wallet but holds no token.')
      return session
    },
    async unlinkWallet(credentialId) {
      const walletAccount = getWalletAccounts(client).find(
        (account: { verifiedCredentialId?: string | null }) => account.verifiedCredentialId === credentialId,
      )
      if (!walletAccount) throw new Error('The client holds no wallet with that credential.')
      await removeWalletAccount({ walletAccount }, client)
      idToken = heldIdToken()
      const session = describe(client, idToken)
      if (!session) throw new Error('The client unlinked the wallet but holds no token.')
      return session
    },
    current: () => describe(client, idToken),
    async checkStepUp() {
      const answer = await checkStepUpAuth({ scope: TokenScope.Walletexport }, client)
      return {
        isRequired: answer.isRequired,
        formats: answer.credentials.map((credential: { format: string }) => String(credential.format)),
      }
    },
    async verifyStepUpCode(pending, code) {
      await verifyOTP(
        {
          otpVerification: { email: pending.email, verificationUUID: pending.verificationUUID },
          verificationToken: code,
          requestedScopes: [TokenScope.Walletexport],
        },
        client,
      )
    },
    takeElevatedToken: () => getElevatedAccessToken({ scope: TokenScope.Walletexport }, client) ?? null,
    signedFetch: (url, init) =>
      // The bearer only: the cookie stays out, so that the answer speaks of the signed header alone.
      fetchWithSessionKey(getCore(client), url, { ...init, token: client.token, credentials: 'omit' }),
    async signOut() {
      await logout(client)
      idToken = null
    },
  }
}
