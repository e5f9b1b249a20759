/**
 * The test wallet and the signature checks the emulator relies on: known Ethereum vectors (a key's
 * address, EIP-55 checksums), `personal_sign` signatures recovered to their signer, malleated and
 * malformed signatures refused, the EIP-1193 provider and the wallet provider Dynamic's client
 * registers, and the parser of the sign-in message that Dynamic's client writes.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { formatSignInMessage } from '@dynamic-labs-sdk/client/core'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import {
  addressOfPrivateKey,
  checksumAddress,
  personalMessageHash,
  privateKeyFromHex,
  recoverPersonalSigner,
} from '../../src/testing/emulator/evm.js'
import { parseSignInMessage } from '../../src/testing/emulator/sign-in-message.js'
import { decodeBase58, encodeBase58 } from '../../src/testing/emulator/base58.js'
import { isSolanaAddress, verifySolanaSignature } from '../../src/testing/emulator/solana.js'
import { createTestSolanaWallet, createTestWallet, eip1193WalletProvider } from '../../src/testing/index.js'

describe('Ethereum signatures', () => {
  test("a key's address and EIP-55 checksums match the known vectors", () => {
    assert.equal(
      addressOfPrivateKey(privateKeyFromHex(`0x${'01'.repeat(32)}`)!),
      '0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1',
    )
    // From EIP-55.
    for (const address of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ]) {
      assert.equal(checksumAddress(address.toLowerCase()), address)
    }
    assert.equal(privateKeyFromHex('0x00'), undefined)
    assert.equal(privateKeyFromHex(`0x${'00'.repeat(32)}`), undefined, 'zero is not a key')
  })

  test('personal_sign signatures recover to their signer; others, malleated and malformed ones do not', () => {
    const wallet = createTestWallet()
    const other = createTestWallet()
    const message = 'localhost wants you to sign in with your Ethereum account:\n…'
    const signature = wallet.signMessage(message)
    assert.match(signature, /^0x[0-9a-f]{130}$/)
    assert.ok(['1b', '1c'].includes(signature.slice(-2)), 'v is 27 or 28')
    assert.equal(recoverPersonalSigner(message, signature), wallet.address)
    assert.notEqual(recoverPersonalSigner(`${message} `, signature), wallet.address, 'another message')
    assert.notEqual(recoverPersonalSigner(message, other.signMessage(message)), wallet.address)
    // v as 0/1 (some wallets) is accepted.
    const v01 = `${signature.slice(0, -2)}${signature.endsWith('1b') ? '00' : '01'}`
    assert.equal(recoverPersonalSigner(message, v01), wallet.address)
    // The same signature with s replaced by n - s (and v flipped) also recovers the key; it is refused.
    const s = BigInt(`0x${signature.slice(66, 130)}`)
    const highS = (secp256k1.Point.CURVE().n - s).toString(16).padStart(64, '0')
    const flipped = signature.endsWith('1b') ? '1c' : '1b'
    assert.equal(recoverPersonalSigner(message, `${signature.slice(0, 66)}${highS}${flipped}`), undefined)
    for (const bad of [
      '',
      '0x',
      '0x1234',
      `${signature}00`,
      `${signature.slice(0, -2)}1f`,
      `0x${'zz'.repeat(65)}`,
      `0x${'00'.repeat(65)}`,
    ]) {
      assert.equal(recoverPersonalSigner(message, bad), undefined, bad)
    }
    assert.equal(personalMessageHash('').length, 32)
  })
})

describe('Solana signatures', () => {
  test('base58 matches the known vectors', () => {
    assert.equal(encodeBase58(new TextEncoder().encode('Hello World!')), '2NEpo7TZRRrLZSi2U')
    assert.equal(encodeBase58(Uint8Array.from([0, 0, 0x28, 0x7f, 0xb4, 0xcd])), '11233QC4')
    assert.deepEqual(decodeBase58('11233QC4'), Uint8Array.from([0, 0, 0x28, 0x7f, 0xb4, 0xcd]))
    assert.equal(decodeBase58('0OIl'), undefined, 'not in the alphabet')
  })

  test('ed25519 (RFC 8032 test 1): the wallet signs as the RFC says; node:crypto verifies; others are refused', () => {
    const wallet = createTestSolanaWallet({
      privateKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    })
    assert.equal(
      Buffer.from(decodeBase58(wallet.address)!).toString('hex'),
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    )
    const signature = wallet.signMessage('')
    assert.equal(
      Buffer.from(decodeBase58(signature)!).toString('hex'),
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    )
    assert.ok(isSolanaAddress(wallet.address))
    assert.ok(verifySolanaSignature('', signature, wallet.address))
    assert.ok(
      verifySolanaSignature('', Buffer.from(decodeBase58(signature)!).toString('hex'), wallet.address),
      'hex too',
    )
    assert.ok(!verifySolanaSignature('x', signature, wallet.address))
    assert.ok(!verifySolanaSignature('', createTestSolanaWallet().signMessage(''), wallet.address))
    assert.ok(!verifySolanaSignature('', '1111', wallet.address))
    assert.ok(!isSolanaAddress('0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1'))
  })
})

describe("the test wallet behind EIP-1193 and Dynamic's wallet provider interface", () => {
  test('the provider answers accounts and chain, signs what personal_sign is given as hex, refuses the rest', async () => {
    const wallet = createTestWallet({ privateKey: `0x${'02'.repeat(32)}`, chainId: 11155111 })
    const provider = wallet.eip1193()
    assert.deepEqual(await provider.request({ method: 'eth_requestAccounts' }), [wallet.address])
    assert.equal(await provider.request({ method: 'eth_chainId' }), '0xaa36a7')
    const hex = `0x${Buffer.from('héllo').toString('hex')}`
    const signature = (await provider.request({
      method: 'personal_sign',
      params: [hex, wallet.address.toLowerCase()],
    })) as string
    assert.equal(recoverPersonalSigner('héllo', signature), wallet.address)
    await assert.rejects(provider.request({ method: 'personal_sign', params: [hex, createTestWallet().address] }), {
      code: 4100,
    })
    await assert.rejects(provider.request({ method: 'eth_sendTransaction', params: [] }), { code: 4200 })
    await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: '0x1' }] })
    assert.equal(wallet.chainId, 1)
    assert.throws(() => createTestWallet({ privateKey: 'nope' }), TypeError)
  })

  test("the wallet provider has the key format Dynamic's client builds from a credential", async () => {
    const wallet = createTestWallet()
    const provider = eip1193WalletProvider(wallet.eip1193(), { displayName: 'My Test-Wallet' })
    assert.equal(provider.key, 'mytestwalletevm:browserExtension')
    assert.equal(
      eip1193WalletProvider(wallet.eip1193(), { displayName: 'Phantom EVM' }).key,
      'phantomevm:browserExtension',
    )
    assert.deepEqual(await provider.connect(), { addresses: [{ address: wallet.address }] })
    assert.deepEqual(await provider.getActiveNetworkId(), { networkId: '1' })
    const { signature } = await provider.signMessage({ message: 'sign me' })
    assert.equal(recoverPersonalSigner('sign me', signature), wallet.address)
  })
})

describe('the sign-in message', () => {
  const base = {
    domain: 'localhost:3000',
    blockchainName: 'Ethereum',
    address: '0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1',
    uri: 'http://localhost:3000/',
    chainId: '1',
    nonce: 'abc123',
    issuedAt: '2026-12-06T17:00:00.000Z',
    requestId: 'env',
  }

  test("reads every field of the message Dynamic's client writes, with and without a statement", async () => {
    const withStatement = parseSignInMessage(
      await formatSignInMessage({
        ...base,
        statement: 'Welcome to the app.\nSigning is free.',
        resources: ['https://a.example/x', 'https://b.example/y'],
      }),
    )
    assert.deepEqual(withStatement, {
      ...base,
      statement: 'Welcome to the app.\nSigning is free.',
      version: '1',
      resources: ['https://a.example/x', 'https://b.example/y'],
    })
    const bare = parseSignInMessage(await formatSignInMessage({ ...base, statement: undefined }))
    assert.deepEqual(bare, { ...base, version: '1', resources: [] })
  })

  test('refuses what is not exactly a sign-in message', async () => {
    const good = await formatSignInMessage({ ...base, statement: 'Hi.' })
    for (const bad of [
      '',
      'hello',
      good.replace('wants you to sign in', 'wants you to log in'),
      good.replace('\nNonce: abc123', ''),
      good.replace('Version: 1', 'Version: 1\nVersion: 1'),
      good.replace('Version: 1', 'Version: 1\nColour: blue'),
      good.replace('Version: 1', 'Version 1'),
      good.replace('URI: http://localhost:3000/', 'Uri: http://localhost:3000/'),
      `${good}\nResources:\nnot a list item`,
    ]) {
      assert.equal(parseSignInMessage(bad), undefined, JSON.stringify(bad))
    }
  })
})
