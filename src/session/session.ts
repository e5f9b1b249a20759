/**
 * The verified session a handler receives: typed access to the claims and the helpers a
 * developer reaches for. Built once per verified token and shared by cache hits, so it is frozen
 * and computes its derived views lazily.
 */
import type { ChainName, DynamicJwtClaims, VerifiedCredential, WalletProvider } from './claims.js'

/** A wallet from the token's verified credentials. */
export interface DynamicWallet {
  /** The credential id. */
  readonly id: string
  /** The wallet address. */
  readonly address: string
  /** The chain family, e.g. `eip155` (EVM), `solana` or `bip122` (Bitcoin). */
  readonly chain: ChainName | undefined
  /** e.g. `metamask`, `phantom`. */
  readonly walletName: string | undefined
  /** How it is connected: `browserExtension`, `embeddedWallet`, `walletConnect`, … */
  readonly walletProvider: WalletProvider | undefined
}

/**
 * Who a session belongs to: `agent` for a server-side session (Dynamic's `server_auth` claim is
 * `true`: an agent's headless sign-in), `user` for anything else.
 */
export type DynamicActor = 'user' | 'agent'

/** A token Dynamic issued, verified. */
export interface DynamicSession {
  /** The Dynamic user id (`sub`). */
  readonly userId: string
  /** The session id (`sid`), when the token has one. */
  readonly sessionId: string | undefined
  /** The environment the token was verified against. */
  readonly environmentId: string
  /**
   * The name given to that environment in `createDynamicAuth({ environments })` (`live`,
   * `sandbox`, ...); undefined for `createDynamicAuth({ environmentId })` or an unnamed environment.
   */
  readonly environmentName: string | undefined
  /** The token's scopes, as whole words. */
  readonly scopes: readonly string[]
  /** When the token expires. */
  readonly expiresAt: Date
  /** When the token was issued, when it says. */
  readonly issuedAt: Date | undefined
  /**
   * `id` when the token carries the full verified credentials (Dynamic's ID token, `jwt`), else
   * `access` (the minified JWT, with only `verifiedCredentialsHashes`).
   */
  readonly tokenKind: 'access' | 'id'
  /**
   * Who the session belongs to: `agent` for an agent's server-side session (Dynamic's
   * `server_auth` claim is `true`), `user` for any other. A route chooses which it accepts with
   * the adapters' `actor` option. Not to be confused with {@link DynamicSession.tokenKind}, which
   * says which of Dynamic's two tokens this is.
   */
  readonly actor: DynamicActor
  /** Every claim of the token, unknown ones included. Treat as read-only. */
  readonly claims: Readonly<DynamicJwtClaims>
  /** The verified credentials (ID tokens only; access tokens carry only their hashes). */
  readonly credentials: readonly VerifiedCredential[]
  /** The user's wallets (ID tokens only). */
  readonly wallets: readonly DynamicWallet[]
  /** The user's wallet addresses (ID tokens only). */
  readonly walletAddresses: readonly string[]
  /** The chains of the user's wallets, without duplicates (ID tokens only). */
  readonly chains: readonly ChainName[]
  /** The user's email: the `email` claim, else the first verified email credential (ID tokens). */
  readonly email: string | undefined
  /** The `username` claim. */
  readonly username: string | undefined
  /** The first name: the `given_name` claim (ID tokens; Dynamic has no `first_name` claim). */
  readonly givenName: string | undefined
  /** The last name: the `family_name` claim (ID tokens; Dynamic has no `last_name` claim). */
  readonly familyName: string | undefined
  /** True when the token has `scope` as a whole word. */
  hasScope(scope: string): boolean
}

/** The {@link DynamicSession} implementation; derived views are computed on first use. */
export class VerifiedSession implements DynamicSession {
  readonly userId: string
  readonly sessionId: string | undefined
  readonly environmentId: string
  readonly environmentName: string | undefined
  readonly scopes: readonly string[]
  readonly claims: Readonly<DynamicJwtClaims>
  #wallets: readonly DynamicWallet[] | undefined

  constructor(claims: DynamicJwtClaims, scopes: readonly string[], environmentId: string, environmentName?: string) {
    this.claims = claims
    this.userId = claims.sub
    this.sessionId = typeof claims.sid === 'string' ? claims.sid : undefined
    this.environmentId = environmentId
    this.environmentName = environmentName
    this.scopes = scopes
  }

  get expiresAt(): Date {
    return new Date(this.claims.exp * 1000)
  }

  get issuedAt(): Date | undefined {
    return typeof this.claims.iat === 'number' ? new Date(this.claims.iat * 1000) : undefined
  }

  get tokenKind(): 'access' | 'id' {
    return Array.isArray(this.claims.verified_credentials) ? 'id' : 'access'
  }

  get actor(): DynamicActor {
    return this.claims.server_auth === true ? 'agent' : 'user'
  }

  get credentials(): readonly VerifiedCredential[] {
    const list = this.claims.verified_credentials
    return Array.isArray(list) ? list.filter((c): c is VerifiedCredential => typeof c === 'object' && c !== null) : []
  }

  get wallets(): readonly DynamicWallet[] {
    this.#wallets ??= Object.freeze(
      this.credentials
        .filter((c) => c.format === 'blockchain' && typeof c.address === 'string')
        .map((c) => ({
          id: String(c.id),
          address: c.address as string,
          chain: typeof c.chain === 'string' ? (c.chain as ChainName) : undefined,
          walletName: text(c.wallet_name),
          walletProvider: text(c.wallet_provider),
        })),
    )
    return this.#wallets
  }

  get walletAddresses(): readonly string[] {
    return this.wallets.map((w) => w.address)
  }

  get chains(): readonly ChainName[] {
    return [...new Set(this.wallets.map((w) => w.chain).filter((c): c is ChainName => c !== undefined))]
  }

  get email(): string | undefined {
    if (typeof this.claims.email === 'string') return this.claims.email
    for (const c of this.credentials) {
      if (c.format !== 'email') continue
      if (typeof c.email === 'string') return c.email
      // Dynamic's model: "the email address if credential format=email".
      if (typeof c.public_identifier === 'string') return c.public_identifier
    }
    return undefined
  }

  get username(): string | undefined {
    return text(this.claims.username)
  }

  get givenName(): string | undefined {
    return text(this.claims.given_name)
  }

  get familyName(): string | undefined {
    return text(this.claims.family_name)
  }

  hasScope(scope: string): boolean {
    return this.scopes.includes(scope)
  }

  /** Serialises as the session's plain fields (never the token). */
  toJSON(): Record<string, unknown> {
    return {
      userId: this.userId,
      sessionId: this.sessionId,
      environmentId: this.environmentId,
      ...(this.environmentName === undefined ? {} : { environmentName: this.environmentName }),
      scopes: this.scopes,
      expiresAt: this.expiresAt.toISOString(),
      tokenKind: this.tokenKind,
      actor: this.actor,
      claims: this.claims,
    }
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}
