/**
 * A test wallet: an EVM private key held in memory, behind the interfaces a real wallet offers,
 * so that Dynamic's own client signs in with it against the local Dynamic:
 *
 * - {@link TestWallet.eip1193}: an EIP-1193 provider (`eth_requestAccounts`, `eth_chainId`,
 *   `personal_sign`, …), what a browser extension injects into a page;
 * - {@link announceEip6963}: announces such a provider to a page the EIP-6963 way;
 * - {@link eip1193WalletProvider}: Dynamic's client's `WalletProvider` over any EIP-1193 provider
 *   (the test wallet's in Node, an injected one in a page), to register in the client's wallet
 *   provider registry.
 *
 * The signatures are real secp256k1 signatures (`personal_sign`, EIP-191); the emulator recovers
 * the signer from them. {@link createTestSolanaWallet} is the same for Solana (ed25519, base58),
 * with {@link solanaWalletProvider} for the client. Pure JavaScript (no `node:` module): it runs
 * in Node and in a page. Never put a real wallet's key in it.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { encodeBase58 } from './emulator/base58.js'
import { addressOfPrivateKey, privateKeyFromHex, randomPrivateKey, signPersonalMessage, toHex } from './emulator/evm.js'

/** An EIP-1193 provider (the `request` method; events are not needed to sign in). */
export interface Eip1193Provider {
  /** Sends a JSON-RPC request (`eth_requestAccounts`, `personal_sign`, `eth_chainId`, …), as EIP-1193 defines it. */
  request(args: { method: string; params?: readonly unknown[] | Record<string, unknown> }): Promise<unknown>
}

/** A wallet whose key is in memory. */
export interface TestWallet {
  /** The address, EIP-55 checksummed. */
  readonly address: string
  /** The private key, `0x` and 64 hex digits. A test key: never a real wallet's. */
  readonly privateKey: string
  /** The chain id the wallet is on (EIP-155). */
  readonly chainId: number
  /** Signs `message` as `personal_sign` does: `0x` + r ‖ s ‖ v. */
  signMessage(message: string): string
  /** An EIP-1193 provider backed by this wallet (one per call, sharing the wallet's chain). */
  eip1193(): Eip1193Provider
}

/** Options of {@link createTestWallet}. */
export interface TestWalletOptions {
  /** The key (`0x` optional). Default: a new random key. */
  privateKey?: string
  /** The chain id the wallet starts on. Default 1 (Ethereum). */
  chainId?: number
}

/** An EIP-1193 error (a code and a message), as wallets reject requests. */
export class Eip1193Error extends Error {
  constructor(
    /** The EIP-1193 / JSON-RPC error code, e.g. 4001 (rejected by the user), -32602 (invalid params). */
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

const decoder = new TextDecoder()

/** `personal_sign` takes the message as hex of its UTF-8 bytes (or, from some callers, as text). */
function messageOf(data: unknown): string {
  if (typeof data !== 'string') throw new Eip1193Error(-32602, 'personal_sign: the message must be a string.')
  if (!/^0x([0-9a-fA-F]{2})*$/.test(data)) return data
  const bytes = new Uint8Array((data.length - 2) / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(data.slice(2 + 2 * i, 4 + 2 * i), 16)
  return decoder.decode(bytes)
}

/** Creates a test wallet. Throws a TypeError for a key that is not a valid secp256k1 key. */
export function createTestWallet(options: TestWalletOptions = {}): TestWallet {
  const key = options.privateKey === undefined ? randomPrivateKey() : privateKeyFromHex(options.privateKey)
  if (!key) throw new TypeError('privateKey must be 32 bytes of hex (0x optional) and a valid secp256k1 key.')
  const chainId = options.chainId ?? 1
  if (!Number.isSafeInteger(chainId) || chainId < 1) throw new TypeError('chainId must be a positive whole number.')
  const address = addressOfPrivateKey(key)
  const state = { chainId }
  const wallet: TestWallet = {
    address,
    privateKey: `0x${toHex(key)}`,
    get chainId() {
      return state.chainId
    },
    signMessage: (message) => signPersonalMessage(key, message),
    eip1193: () => ({
      async request({ method, params }) {
        const args = Array.isArray(params) ? params : []
        switch (method) {
          case 'eth_requestAccounts':
          case 'eth_accounts':
            return [address]
          case 'eth_chainId':
            return `0x${state.chainId.toString(16)}`
          case 'net_version':
            return String(state.chainId)
          case 'personal_sign': {
            const [data, signer] = args
            if (typeof signer !== 'string' || signer.toLowerCase() !== address.toLowerCase())
              throw new Eip1193Error(4100, `personal_sign: this wallet holds ${address} only.`)
            return signPersonalMessage(key, messageOf(data))
          }
          case 'wallet_switchEthereumChain': {
            const wanted = (args[0] as { chainId?: unknown } | undefined)?.chainId
            if (typeof wanted !== 'string' || !/^0x[0-9a-fA-F]+$/.test(wanted))
              throw new Eip1193Error(-32602, 'wallet_switchEthereumChain: give { chainId: "0x…" }.')
            state.chainId = Number.parseInt(wanted, 16)
            return null
          }
          default:
            throw new Eip1193Error(4200, `The test wallet does not support ${method}.`)
        }
      },
    }),
  }
  return wallet
}

/** What EIP-6963 announces about a provider. */
export interface Eip6963ProviderInfo {
  /** A UUID for this announcement of the provider. */
  uuid: string
  /** The wallet's name, as the page shows it. */
  name: string
  /** A data: URI of the wallet's icon. */
  icon: string
  /** Reverse DNS name (`com.example.wallet`). */
  rdns: string
}

/** The event target EIP-6963 uses: a page's `window`. */
export interface Eip6963Window {
  /** Listens to an event (`eip6963:requestProvider`). */
  addEventListener(type: string, listener: () => void): void
  /** Dispatches an event (`eip6963:announceProvider`). */
  dispatchEvent(event: Event): boolean
}

/** A grey circle, as the test wallet's icon. */
export const TEST_WALLET_ICON =
  'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"%3E%3Ccircle cx="16" cy="16" r="15" fill="%23888"/%3E%3C/svg%3E'

/**
 * Announces `provider` to the page as an EIP-6963 wallet: now, and again whenever the page asks
 * (`eip6963:requestProvider`). Call it in the page (a browser test's init script, say).
 */
export function announceEip6963(
  provider: Eip1193Provider,
  info: Eip6963ProviderInfo,
  target: Eip6963Window = globalThis as unknown as Eip6963Window,
): void {
  const announce = () =>
    target.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }))
  target.addEventListener('eip6963:requestProvider', announce)
  announce()
}

/**
 * Dynamic's client's `WalletProvider` (the fields its wallet sign-in uses) over an EIP-1193
 * provider. Register it in the client, then sign in with its `key`:
 *
 * @example
 * import { getWalletProviderRegistry, WalletProviderPriority } from '@dynamic-labs-sdk/client/core'
 * import { connectAndVerifyWithWalletProvider } from '@dynamic-labs-sdk/client'
 * const walletProvider = eip1193WalletProvider(createTestWallet().eip1193(), { displayName: 'Test Wallet' })
 * getWalletProviderRegistry(client).register({ priority: WalletProviderPriority.WALLET_SDK, walletProvider })
 * await connectAndVerifyWithWalletProvider({ walletProviderKey: walletProvider.key }, client)
 */
export function eip1193WalletProvider(
  provider: Eip1193Provider,
  metadata: { displayName: string; icon?: string },
): Eip1193WalletProvider {
  // The client's key format: normalized name with its chain, then the provider type.
  const name = metadata.displayName.replace(/[^a-zA-Z0-9]/g, '').toLowerCase()
  if (!name) throw new TypeError('displayName must contain a letter or a digit.')
  const nameWithChain = name.endsWith('evm') ? name : `${name}evm`
  const accounts = async (method: 'eth_requestAccounts' | 'eth_accounts'): Promise<string[]> => {
    const result = await provider.request({ method })
    return Array.isArray(result) ? result.filter((item): item is string => typeof item === 'string') : []
  }
  return {
    chain: 'EVM',
    groupKey: name,
    key: `${nameWithChain}:browserExtension`,
    metadata: { displayName: metadata.displayName, icon: metadata.icon ?? TEST_WALLET_ICON },
    walletProviderType: 'browserExtension',
    connect: async () => ({ addresses: (await accounts('eth_requestAccounts')).map((address) => ({ address })) }),
    getConnectedAddresses: async () => ({ addresses: await accounts('eth_accounts') }),
    async getActiveNetworkId() {
      const chainId = await provider.request({ method: 'eth_chainId' })
      return { networkId: typeof chainId === 'string' ? String(Number.parseInt(chainId, 16)) : String(chainId) }
    },
    async switchActiveNetwork({ networkId }) {
      await provider.request({
        method: 'wallet_switchEthereumChain',
        params: [{ chainId: `0x${Number(networkId).toString(16)}` }],
      })
    },
    async signMessage({ message, walletAccount }) {
      const [first] = await accounts('eth_accounts')
      const address = walletAccount?.address ?? first
      const hex = `0x${toHex(new TextEncoder().encode(message))}`
      const signature = await provider.request({ method: 'personal_sign', params: [hex, address] })
      if (typeof signature !== 'string') throw new Eip1193Error(-32603, 'personal_sign answered no signature.')
      return { signature }
    },
  }
}

/** What the test wallets' providers share with every `WalletProvider` of Dynamic's client (structural: this package does not depend on the client). */
export interface TestWalletProviderBase {
  /** The key that groups a wallet's providers across chains: its normalized name. */
  groupKey: string
  /** The name and icon the client shows. */
  metadata: {
    /** The name shown. */
    displayName: string
    /** A data: URI of the icon shown. */
    icon: string
  }
  /** How the wallet connects: a browser extension, as far as the client can tell. */
  walletProviderType: 'browserExtension'
  /** Connects the wallet: its addresses. */
  connect(): Promise<{
    /** The wallet's addresses. */
    addresses: Array<{
      /** An address. */
      address: string
    }>
  }>
  /** The addresses connected so far. */
  getConnectedAddresses(): Promise<{
    /** The addresses. */
    addresses: string[]
  }>
  /** The network the wallet is on. */
  getActiveNetworkId(): Promise<{
    /** The network id, e.g. `1` for Ethereum. */
    networkId: string
  }>
}

/** The `WalletProvider` {@link eip1193WalletProvider} returns. */
export interface Eip1193WalletProvider extends TestWalletProviderBase {
  /** The chain family, as Dynamic's client names it. */
  chain: 'EVM'
  /** `<name>evm:browserExtension`: pass it to `connectAndVerifyWithWalletProvider`. */
  key: string
  /** Switches the wallet to another network (`wallet_switchEthereumChain`). */
  switchActiveNetwork(args: { networkId: string }): Promise<void>
  /** Signs `message` with `personal_sign`. */
  signMessage(args: { message: string; walletAccount?: { address: string } }): Promise<{
    /** `0x` + r ‖ s ‖ v. */
    signature: string
  }>
}

/** A Solana wallet whose key is in memory. */
export interface TestSolanaWallet {
  /** The address: the base58 of the ed25519 public key. */
  readonly address: string
  /** The private key (the 32-byte ed25519 seed), as 64 hex digits. A test key: never a real wallet's. */
  readonly privateKey: string
  /** Signs the UTF-8 bytes of `message` (ed25519), as Solana wallets' `signMessage` does; the signature in base58. */
  signMessage(message: string): string
}

/** Creates a Solana test wallet (a random key, or `privateKey`: 64 hex digits). Throws a TypeError for a bad key. */
export function createTestSolanaWallet(options: { privateKey?: string } = {}): TestSolanaWallet {
  let seed: Uint8Array
  if (options.privateKey === undefined) seed = ed25519.utils.randomSecretKey()
  else {
    const hex = options.privateKey.replace(/^0x/, '')
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError('privateKey must be 32 bytes of hex (an ed25519 seed).')
    seed = Uint8Array.from(hex.match(/../g)!, (pair) => Number.parseInt(pair, 16))
  }
  const encoder = new TextEncoder()
  return {
    address: encodeBase58(ed25519.getPublicKey(seed)),
    privateKey: toHex(seed),
    signMessage: (message) => encodeBase58(ed25519.sign(encoder.encode(message), seed)),
  }
}

/** The `WalletProvider` {@link solanaWalletProvider} returns. */
export interface SolanaTestWalletProvider extends TestWalletProviderBase {
  /** The chain family, as Dynamic's client names it. */
  chain: 'SOL'
  /** `<name>sol:browserExtension`: pass it to `connectAndVerifyWithWalletProvider`. */
  key: string
  /** Signs the UTF-8 bytes of `message` (ed25519); the signature in base58. */
  signMessage(args: { message: string }): Promise<{
    /** The ed25519 signature, base58. */
    signature: string
  }>
}

/**
 * Dynamic's client's `WalletProvider` for a Solana test wallet (mainnet, network id `101`): the
 * client then writes the sign-in message for Solana and the wallet signs it.
 */
export function solanaWalletProvider(
  wallet: TestSolanaWallet,
  metadata: { displayName: string; icon?: string },
): SolanaTestWalletProvider {
  const name = metadata.displayName.replace(/[^a-zA-Z0-9]/g, '').toLowerCase()
  if (!name) throw new TypeError('displayName must contain a letter or a digit.')
  return {
    chain: 'SOL',
    groupKey: name,
    key: `${name.endsWith('sol') ? name : `${name}sol`}:browserExtension`,
    metadata: { displayName: metadata.displayName, icon: metadata.icon ?? TEST_WALLET_ICON },
    walletProviderType: 'browserExtension',
    connect: async () => ({ addresses: [{ address: wallet.address }] }),
    getConnectedAddresses: async () => ({ addresses: [wallet.address] }),
    getActiveNetworkId: async () => ({ networkId: '101' }),
    signMessage: async ({ message }) => ({ signature: wallet.signMessage(message) }),
  }
}
