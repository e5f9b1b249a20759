/**
 * The demo page's sign-in, through Dynamic's own JavaScript client (`@dynamic-labs-sdk/client`,
 * unmodified) pointed at the local Dynamic instead of Dynamic's servers. Bundled for the browser
 * by demo/bundle.ts and loaded by public/app.js.
 *
 * The client sends the email code, verifies it, keeps the access token in `client.token`, writes
 * the `DYNAMIC_JWT_TOKEN` cookie itself when the project settings ask for cookies, and signs out
 * by revoking the session. Nothing here talks to Dynamic: the API base URL is the local one and
 * the client's telemetry is switched off.
 */
import { createDynamicClient, initializeClient, logout, sendEmailOTP, verifyOTP, type DynamicClient } from '@dynamic-labs-sdk/client'

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
  sessionId: string | null
  /** When the session expires, in milliseconds since the epoch. */
  expiresAt: number | null
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
  /** The session the client holds now, e.g. after a reload in cookie mode; null when signed out. */
  current(): SignedIn | null
  /** Signs out through the client (`logout`): it revokes the session and clears the cookie. */
  signOut(): Promise<void>
}

function describe(client: DynamicClient, idToken: string | null): SignedIn | null {
  const token = client.token
  const user = client.user
  if (!token || !user) return null
  const claims = payloadOf(token)
  return {
    token,
    idToken,
    userId: user.id,
    email: user.email ?? null,
    sessionId: typeof claims.sid === 'string' ? claims.sid : null,
    expiresAt: client.sessionExpiresAt ? client.sessionExpiresAt.getTime() : null,
  }
}

/** Reads a JWT's payload for display; it proves nothing (the server verifies). */
function payloadOf(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1] ?? ''
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='))
    const value: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0))))
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** Creates Dynamic's client for the local Dynamic and waits until it has initialised. */
export async function startSignIn(config: SignInConfig): Promise<DemoSignIn> {
  const client = createDynamicClient({
    environmentId: config.environmentId,
    autoInitialize: false,
    coreConfig: { apiBaseUrl: config.apiBaseUrl },
    // Telemetry would go to Dynamic's log service: off, so that nothing leaves the machine.
    instrumentation: { enabled: false },
    logLevel: 'warn',
    metadata: { name: 'dynamic-guard demo' },
  })
  await initializeClient(client)
  const cookieMode = (client.projectSettings?.security?.auth?.storage ?? []).some((storage: unknown) => String(storage) === 'cookie')
  // The ID token of this page's last sign-in (the client keeps only the access token in view).
  let idToken: string | null = null

  return {
    client,
    cookieMode,
    async sendCode(email) {
      const { verificationUUID } = await sendEmailOTP({ email }, client)
      return { email, verificationUUID }
    },
    async verifyCode(pending, code) {
      const response = await verifyOTP({ otpVerification: { email: pending.email, verificationUUID: pending.verificationUUID }, verificationToken: code }, client)
      idToken = typeof response.jwt === 'string' ? response.jwt : null
      const session = describe(client, idToken)
      if (!session) throw new Error('The client verified the code but holds no token.')
      return session
    },
    current: () => describe(client, idToken),
    async signOut() {
      await logout(client)
      idToken = null
    },
  }
}
