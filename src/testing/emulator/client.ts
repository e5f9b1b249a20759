/**
 * What Dynamic's JavaScript client (`@dynamic-labs-sdk/client`) needs to run in Node against the
 * emulator: an in-memory storage adapter (its default is `localStorage`), an in-memory keychain
 * (its default is IndexedDB; same ECDSA P-256 keys and hex formats, on WebCrypto), `fetch`, and
 * telemetry off. The types are structural: this package does not depend on Dynamic's client.
 */

/** Dynamic's client's `StorageAdapter` interface, kept in memory. */
export interface MemoryStorageAdapter {
  /** The value stored under `key`, or null. */
  getItem(key: string, options?: { storageTier?: string }): Promise<string | null>
  /** Stores `value` under `key`. */
  setItem(key: string, value: string, options?: { storageTier?: string }): Promise<void>
  /** Forgets `key`. */
  removeItem(key: string, options?: { storageTier?: string }): Promise<void>
  /** Everything stored (for assertions). */
  readonly entries: ReadonlyMap<string, string>
}

/** An in-memory `StorageAdapter` for Dynamic's client. */
export function createMemoryStorageAdapter(): MemoryStorageAdapter {
  const items = new Map<string, string>()
  return {
    getItem: async (key) => items.get(key) ?? null,
    setItem: async (key, value) => void items.set(key, value),
    removeItem: async (key) => void items.delete(key),
    entries: items,
  }
}

/** Dynamic's client's `KeychainService` interface: ECDSA P-256 keys by name, public keys as compressed hex, signatures as hex. */
export interface MemoryKeychain {
  /** Creates a key named `keyName`; returns its public key. */
  generateKey(keyName: string): Promise<string>
  /** The public key of `keyName`, or null when there is none. */
  getPublicKey(keyName: string): Promise<string | null>
  /** Whether there is a key named `keyName`. */
  hasKey(keyName: string): Promise<boolean>
  /** Stores a private key (a JWK) as `keyName`; returns its public key. */
  importKey(keyName: string, jwk: JsonWebKey): Promise<string>
  /** Forgets the key `keyName`. */
  removeKey(keyName: string): Promise<void>
  /** Signs the UTF-8 bytes of `message` with `keyName` (ECDSA P-256, SHA-256). */
  sign(keyName: string, message: string): Promise<string>
}

const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const

const hex = (bytes: ArrayBuffer | Uint8Array): string =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex')

/** The compressed SEC1 form of a raw (uncompressed) P-256 public key, as Dynamic's keychain reports it. */
async function compressedPublicKey(publicKey: CryptoKey): Promise<string> {
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey))
  const compressed = raw.slice(0, 33)
  compressed[0] = 2 | (raw[64]! & 1)
  return hex(compressed)
}

/** An in-memory keychain for Dynamic's client (its default keeps keys in IndexedDB, which Node lacks). */
export function createMemoryKeychain(): MemoryKeychain {
  const keys = new Map<string, { privateKey: CryptoKey; publicKeyHex: string }>()
  const find = (keyName: string) => {
    const entry = keys.get(keyName)
    if (!entry) throw new Error(`Key "${keyName}" not found in keychain`)
    return entry
  }
  return {
    async generateKey(keyName) {
      const pair = (await crypto.subtle.generateKey(P256, true, ['sign', 'verify'])) as CryptoKeyPair
      const publicKeyHex = await compressedPublicKey(pair.publicKey)
      keys.set(keyName, { privateKey: pair.privateKey, publicKeyHex })
      return publicKeyHex
    },
    async importKey(keyName, jwk) {
      const privateKey = await crypto.subtle.importKey('jwk', jwk, P256, false, ['sign'])
      const publicKey = await crypto.subtle.importKey(
        'jwk',
        { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
        P256,
        true,
        ['verify'],
      )
      const publicKeyHex = await compressedPublicKey(publicKey)
      keys.set(keyName, { privateKey, publicKeyHex })
      return publicKeyHex
    },
    getPublicKey: async (keyName) => keys.get(keyName)?.publicKeyHex ?? null,
    hasKey: async (keyName) => keys.has(keyName),
    removeKey: async (keyName) => void keys.delete(keyName),
    async sign(keyName, message) {
      const signature = await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        find(keyName).privateKey,
        new TextEncoder().encode(message),
      )
      return hex(signature)
    },
  }
}

/** The configuration {@link dynamicClientConfig} returns: pass it to Dynamic's `createDynamicClient`. */
export interface DynamicClientConfigForEmulator {
  /** The environment the emulator plays. */
  environmentId: string
  /** Where the client sends its requests, and what it keeps in place of a browser's storage. */
  coreConfig: {
    /** `<origin>/api/v0`: Dynamic's client appends `/sdk/<environmentId>/…`. */
    apiBaseUrl: string
    /** `fetch`, followed so that {@link DynamicClientConfigForEmulator.idle} can wait for it. */
    fetch: (input: RequestInfo, init?: RequestInit) => Promise<Response>
    /** Storage in memory. */
    storageAdapter: MemoryStorageAdapter
    /** Keys in memory. */
    keychain: MemoryKeychain
  }
  /** Telemetry off: otherwise the client reports to Dynamic. */
  instrumentation: {
    /** Always false. */
    enabled: false
  }
  /**
   * The app's origin (`universalLink`), given `appOrigin`: the client sends it as `Origin`, and a
   * wallet's sign-in message names its host as the domain (in a browser the page's origin is used).
   */
  metadata?: {
    /** The app's origin. */
    universalLink: string
  }
  /**
   * Resolves once the client has no request in flight (after letting the work it has just queued
   * start). Await it after `logout` and before closing the server: after a logout the client
   * fetches the settings again on its own.
   */
  idle(): Promise<void>
}

/**
 * The `createDynamicClient` configuration that runs Dynamic's client in Node against an emulator
 * (`createTestIssuer().listen()` or `dynamic-guard dev`): its API base URL, the global `fetch`, a
 * fresh in-memory storage and keychain, telemetry off. `coreConfig` is marked internal by Dynamic:
 * pin the client's version and let a test catch a change.
 *
 * Wallet sign-in needs `appOrigin` (the app's origin, e.g. `http://localhost:3000`): outside a
 * browser the client has no page origin to put in the sign-in message. The client then sends it as
 * `Origin`, so it must be a loopback origin or one listed in `corsOrigins`; it is also the tokens' `aud`.
 *
 * @example
 * import { createDynamicClient, initializeClient, logout, sendEmailOTP, verifyOTP } from '@dynamic-labs-sdk/client'
 * const server = await createTestIssuer().listen()
 * const config = dynamicClientConfig(server)
 * const client = createDynamicClient(config)
 * await initializeClient(client) // outside a browser the client does not initialise itself
 * const otp = await sendEmailOTP({ email: 'ada@example.com' }, client)
 * const { code } = await (await fetch(`${server.otpUrl}?email=ada@example.com`)).json()
 * await verifyOTP({ otpVerification: otp, verificationToken: code }, client)
 * client.token // the minified JWT, signed by the emulator's key
 * await logout(client) // a signed-in client keeps a timer until its session expires
 * await config.idle() // the client's own follow-up requests are done: the server may close
 */
export function dynamicClientConfig(
  server: { readonly environmentId: string; readonly apiBaseUrl: string },
  options: { appOrigin?: string } = {},
): DynamicClientConfigForEmulator {
  const inFlight = new Set<Promise<unknown>>()
  return {
    ...(options.appOrigin !== undefined ? { metadata: { universalLink: options.appOrigin } } : {}),
    environmentId: server.environmentId,
    coreConfig: {
      apiBaseUrl: server.apiBaseUrl,
      fetch(input, init) {
        const request = fetch(input, init)
        const settled: Promise<unknown> = request.then(
          () => inFlight.delete(settled),
          () => inFlight.delete(settled),
        )
        inFlight.add(settled)
        return request
      },
      storageAdapter: createMemoryStorageAdapter(),
      keychain: createMemoryKeychain(),
    },
    instrumentation: { enabled: false },
    async idle() {
      do {
        // Let what the client has just queued (a promise chain ending in a request) reach fetch.
        await new Promise<void>((resolve) => setImmediate(resolve))
        await Promise.all([...inFlight])
      } while (inFlight.size > 0)
    },
  }
}
