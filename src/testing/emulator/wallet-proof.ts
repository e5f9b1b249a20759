/**
 * Checks what a wallet sends to sign in or to link itself (Dynamic's `VerifyRequest`:
 * `publicWalletAddress`, `chain`, `walletName`, `walletProvider`, `messageToSign`,
 * `signedMessage`, `network`), as Dynamic's API does before it trusts the wallet: the message is
 * a sign-in message (EIP-4361, which Dynamic's client also writes for Solana) for this address;
 * the signature is the address's (EVM: the signer recovered from a `personal_sign` signature;
 * Solana: an ed25519 signature of the message); the message names the page's domain, this
 * environment and, for EVM, a chain id the project serves; it is fresh; and its nonce was issued
 * here and is used now, once. Each refusal is a 400 in Dynamic's error shape, with a code of its own.
 */
import { EmulatorError } from './http.js'
import { checksumAddress, isEvmAddress, recoverPersonalSigner } from './evm.js'
import type { NonceStore } from './nonces.js'
import { parseSignInMessage } from './sign-in-message.js'
import { isSolanaAddress, verifySolanaSignature } from './solana.js'
import type { VerifiedWallet } from './users.js'

/** Dynamic's `WalletProviderEnum`. */
const WALLET_PROVIDERS = new Set([
  'browserExtension',
  'custodialService',
  'walletConnect',
  'qrCode',
  'deepLink',
  'embeddedWallet',
  'smartContractWallet',
])

/** How old a sign-in message may be: it is signed just before it is sent. */
export const MESSAGE_MAX_AGE_MS = 10 * 60 * 1000
/** Clock skew tolerated for a message issued "in the future". */
const SKEW_MS = 60 * 1000

/** What the check needs to know besides the request body. */
export interface WalletProofContext {
  environmentId: string
  nonces: NonceStore
  evmChainIds: readonly number[]
  /** The request's `Origin` (Dynamic's client sends its app's origin), when it has one. */
  origin: string | undefined
  /** True when a message may name `host` as its domain (used when the request has no Origin). */
  domainAllowed(host: string): boolean
  now?: number
}

const refuse = (code: string, message: string): EmulatorError => new EmulatorError(400, code, message)

function text(body: Record<string, unknown>, name: string, max: number): string {
  const value = body[name]
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new EmulatorError(400, 'invalid_request', `"${name}" must be a string of 1 to ${max} characters.`)
  return value
}

/** Checks a wallet's proof of ownership; returns the wallet, or throws a 400 {@link EmulatorError}. */
export function checkWalletProof(body: Record<string, unknown>, context: WalletProofContext): VerifiedWallet {
  const chain = text(body, 'chain', 16)
  if (chain !== 'EVM' && chain !== 'SOL')
    throw refuse(
      'unsupported_chain',
      `This local Dynamic signs wallets in on EVM and Solana (SOL) only; the request named ${JSON.stringify(chain)}.`,
    )
  const evm = chain === 'EVM'
  const address = text(body, 'publicWalletAddress', 128)
  if (evm ? !isEvmAddress(address) : !isSolanaAddress(address)) {
    throw refuse(
      'invalid_address',
      evm
        ? 'publicWalletAddress is not an EVM address (0x and 40 hex digits).'
        : 'publicWalletAddress is not a Solana address (the base58 of 32 bytes).',
    )
  }
  const walletName = text(body, 'walletName', 100)
  const walletProvider = text(body, 'walletProvider', 40)
  if (!WALLET_PROVIDERS.has(walletProvider))
    throw refuse('invalid_request', `walletProvider must be one of ${[...WALLET_PROVIDERS].join(', ')}.`)
  const messageToSign = text(body, 'messageToSign', 8192)
  const signature = text(body, 'signedMessage', 1024)

  const message = parseSignInMessage(messageToSign)
  if (!message || message.blockchainName !== (evm ? 'Ethereum' : 'Solana'))
    throw refuse(
      'invalid_message',
      `messageToSign is not a sign-in (EIP-4361) message for a${evm ? 'n Ethereum' : ' Solana'} account.`,
    )
  // EVM addresses are case-insensitive (the case is a checksum); Solana's are not.
  const same = (a: string, b: string): boolean => (evm ? a.toLowerCase() === b.toLowerCase() : a === b)
  if (!same(message.address, address))
    throw refuse('invalid_message', 'The message names another address than publicWalletAddress.')

  // The signature, for real: EVM, the signer recovered from it; Solana, the address's key verifies it.
  const signer = evm ? recoverPersonalSigner(messageToSign, signature) : undefined
  if (
    evm ? signer === undefined || !same(signer, address) : !verifySolanaSignature(messageToSign, signature, address)
  ) {
    throw refuse('invalid_signature', "The signature is not the wallet's signature of messageToSign.")
  }

  // The domain: the page that asked for the signature, not another site's.
  let uriHost: string | undefined
  try {
    uriHost = new URL(message.uri).host
  } catch {
    uriHost = undefined
  }
  const expected = context.origin !== undefined ? new URL(context.origin).host : undefined
  const domainOk = expected !== undefined ? message.domain === expected : context.domainAllowed(message.domain)
  if (!domainOk || uriHost !== message.domain) {
    throw refuse(
      'invalid_domain',
      `The message is for ${JSON.stringify(message.domain.slice(0, 100))}${expected !== undefined ? `, but the request comes from ${expected}` : ', which may not sign in here'}: a wallet signs in to the site it signed for.`,
    )
  }
  if (message.requestId !== undefined && message.requestId !== context.environmentId)
    throw refuse('invalid_message', 'The message is for another Dynamic environment (its Request ID).')
  if (message.version !== '1') throw refuse('invalid_message', "The message's Version must be 1.")

  // Dynamic's client names an EVM chain id in the message, and none for Solana.
  if (evm) {
    const chainId = message.chainId === undefined ? Number.NaN : Number(message.chainId)
    if (!context.evmChainIds.includes(chainId)) {
      throw refuse(
        'invalid_chain_id',
        `The message's Chain ID ${JSON.stringify(message.chainId ?? null)} is not one of this project's chains (${context.evmChainIds.join(', ')}).`,
      )
    }
    if (typeof body.network === 'string' && body.network !== '' && body.network !== message.chainId)
      throw refuse('invalid_chain_id', "The message's Chain ID is not the network the request names.")
  } else if (message.chainId !== undefined)
    throw refuse('invalid_message', 'A Solana sign-in message names no Chain ID.')

  // Freshness: issued just now (not in the future), not expired, already valid.
  const now = context.now ?? Date.now()
  const at = (value: string | undefined): number | undefined => (value === undefined ? undefined : Date.parse(value))
  const issuedAt = at(message.issuedAt)
  const expiresAt = at(message.expirationTime)
  const notBefore = at(message.notBefore)
  if ([issuedAt, expiresAt, notBefore].some((time) => time !== undefined && Number.isNaN(time)))
    throw refuse('invalid_message', 'A time in the message is not an ISO 8601 date.')
  if (issuedAt !== undefined && issuedAt > now + SKEW_MS)
    throw refuse('invalid_message', 'The message was issued in the future: check the clock.')
  if (
    (issuedAt !== undefined && issuedAt < now - MESSAGE_MAX_AGE_MS) ||
    (expiresAt !== undefined && expiresAt <= now)
  ) {
    throw refuse('expired_message', 'The sign-in message has expired: sign a new one.')
  }
  if (notBefore !== undefined && notBefore > now + SKEW_MS)
    throw refuse('invalid_message', 'The message is not valid yet (Not Before).')

  // Last, once the message is genuine and for here: its nonce, used up now.
  const nonce = context.nonces.consume(message.nonce)
  if (nonce !== true) {
    const why = {
      unknown: 'was not issued by this local Dynamic',
      used: 'has already been used',
      expired: 'has expired',
    }[nonce]
    throw refuse('invalid_nonce', `The message's nonce ${why}: fetch new nonces (GET nonces) and sign again.`)
  }
  return evm
    ? { address: checksumAddress(address), chain: 'eip155', walletName, walletProvider }
    : { address, chain: 'solana', walletName, walletProvider }
}
