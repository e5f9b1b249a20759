/**
 * The project settings the emulated environment answers `GET settings` with: the members Dynamic's
 * client needs (`chains` and `kyc` arrays, `security` with the auth storage and MFA), shaped as
 * Dynamic's `ProjectSettings` model, and the information fields in the `kyc` shape that tokens
 * also use for `missing_fields`. The chains are the ones wallets sign in on: EVM, with the
 * networks (chain ids) a sign-in message may name, and Solana.
 */
import { INFORMATION_FIELDS, type EmulatorOptions, type InformationField } from './options.js'

/** A `kyc` entry (Dynamic's `ProjectSettingsKyc`), as settings and `missing_fields` carry it. */
export interface InformationFieldSetting {
  name: InformationField
  required: boolean
  enabled: boolean
  unique: boolean
  verify: boolean
  type: 'standard'
  label: string
  position: number
}

const LABELS: Record<InformationField, string> = {
  email: 'Email',
  alias: 'Alias',
  firstName: 'First name',
  lastName: 'Last name',
  username: 'Username',
  jobTitle: 'Job title',
  phoneNumber: 'Phone number',
  country: 'Country',
  tShirtSize: 'T-shirt size',
  team: 'Team',
  policiesConsent: 'Policies consent',
}

/** The `kyc` list: email (the sign-in credential) plus every required field. */
export function informationFields(required: readonly InformationField[]): InformationFieldSetting[] {
  const names = INFORMATION_FIELDS.filter((name) => name === 'email' || required.includes(name))
  return names.map((name, position) => ({
    name,
    required: name === 'email' || required.includes(name),
    enabled: true,
    unique: name === 'email' || name === 'username',
    verify: name === 'email',
    type: 'standard',
    label: LABELS[name],
    position,
  }))
}

/** Names of the EVM networks the emulator knows by chain id (any other id is named `EVM <id>`). */
const EVM_NETWORK_NAMES: Record<number, { name: string; shortName: string; testnet: boolean }> = {
  1: { name: 'Ethereum', shortName: 'eth', testnet: false },
  8453: { name: 'Base', shortName: 'base', testnet: false },
  10: { name: 'Optimism', shortName: 'oeth', testnet: false },
  137: { name: 'Polygon', shortName: 'matic', testnet: false },
  42161: { name: 'Arbitrum One', shortName: 'arb1', testnet: false },
  11155111: { name: 'Sepolia', shortName: 'sep', testnet: true },
  84532: { name: 'Base Sepolia', shortName: 'basesep', testnet: true },
}

/** The EVM chain ids served by default. */
export const DEFAULT_EVM_CHAIN_IDS: readonly number[] = [1, 11155111]

function evmNetwork(chainId: number): { name: string; shortName: string; testnet: boolean } {
  return EVM_NETWORK_NAMES[chainId] ?? { name: `EVM ${chainId}`, shortName: `evm${chainId}`, testnet: false }
}

/** Solana's mainnet, as Dynamic numbers Solana clusters (101 mainnet, 102 testnet, 103 devnet). */
const SOLANA_MAINNET = { networkId: 101, name: 'Solana Mainnet', cluster: 'mainnet' }

/** The `chains` member (Dynamic's `ProjectSettingsChains`): EVM and Solana, enabled, with their networks. */
export function chainSettings(evmChainIds: readonly number[]): Record<string, unknown>[] {
  return [
    {
      name: 'evm',
      enabled: true,
      networks: evmChainIds.map((id) => ({ networkId: id, chainName: evmNetwork(id).name, enabled: true })),
    },
    {
      name: 'solana',
      enabled: true,
      networks: [{ networkId: SOLANA_MAINNET.networkId, chainName: SOLANA_MAINNET.name, enabled: true }],
    },
  ]
}

/** The `networks` member (Dynamic's `NetworkConfigurationResponse`), which the client turns into its network list. */
export function networkSettings(evmChainIds: readonly number[]): Record<string, unknown>[] {
  return [
    {
      chainName: 'evm',
      networks: evmChainIds.map((id) => {
        const network = evmNetwork(id)
        return {
          name: network.name,
          shortName: network.shortName,
          isTestnet: network.testnet,
          chain: network.shortName.toUpperCase(),
          chainId: String(id),
          networkId: String(id),
          iconUrls: [],
          nativeCurrency: { decimals: 18, name: 'Ether', symbol: 'ETH' },
          // No node: the emulator signs users in, it does not send transactions.
          rpcUrls: [],
          blockExplorerUrls: [],
        }
      }),
    },
    {
      chainName: 'solana',
      networks: [
        {
          name: SOLANA_MAINNET.name,
          shortName: 'sol',
          isTestnet: false,
          chain: 'SOL',
          chainId: String(SOLANA_MAINNET.networkId),
          networkId: String(SOLANA_MAINNET.networkId),
          cluster: SOLANA_MAINNET.cluster,
          iconUrls: [],
          nativeCurrency: { decimals: 9, name: 'Solana', symbol: 'SOL' },
          rpcUrls: [],
          blockExplorerUrls: [],
        },
      ],
    },
  ]
}

/** The settings document. */
export function projectSettings(options: EmulatorOptions, environmentName: string): Record<string, unknown> {
  const mfa = options.requireMfa === true
  const evmChainIds = options.evmChainIds ?? DEFAULT_EVM_CHAIN_IDS
  return {
    environmentName,
    chains: chainSettings(evmChainIds),
    kyc: informationFields(options.requiredFields ?? []),
    customFields: [],
    design: {},
    general: {
      displayName: 'Local Dynamic (dynamic-guard emulator)',
      collectUserDataWelcomeHeader: 'Tell us about you',
    },
    privacy: { collectIp: false },
    providers: [],
    sdk: {
      emailSignIn: { signInProvider: 'dynamic' },
      // Users may hold several wallets (link a second one, unlink one).
      multiWallet: true,
      confirmWalletTransfers: false,
    },
    security: {
      auth: { storage: options.cookieAuth ? ['cookie'] : ['localstorage'] },
      mfa: { enabled: mfa, required: mfa, availableMethods: mfa ? ['totp'] : [], methods: [], actions: [] },
      externalAuth: { enabled: false },
      deviceRegistrationRequired: false,
      environmentLocked: false,
    },
    networks: networkSettings(evmChainIds),
  }
}
