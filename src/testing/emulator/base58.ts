/**
 * Base58 (Bitcoin's alphabet), the encoding of Solana addresses (32-byte ed25519 public keys) and
 * of the signatures Solana wallets hand over. Pure JavaScript: it runs in Node and in a page.
 */
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const INDEX = new Map([...ALPHABET].map((char, index) => [char, BigInt(index)]))

/** Base58 of `bytes` (each leading zero byte is a leading `1`). */
export function encodeBase58(bytes: Uint8Array): string {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  let out = ''
  while (value > 0n) {
    out = ALPHABET[Number(value % 58n)]! + out
    value /= 58n
  }
  return '1'.repeat(zeros) + out
}

/** The bytes of a base58 string, or undefined when it has a character outside the alphabet. */
export function decodeBase58(text: string): Uint8Array | undefined {
  if (text.length > 256) return undefined
  let zeros = 0
  while (zeros < text.length && text[zeros] === '1') zeros++
  let value = 0n
  for (const char of text) {
    const digit = INDEX.get(char)
    if (digit === undefined) return undefined
    value = value * 58n + digit
  }
  const body: number[] = []
  while (value > 0n) {
    body.unshift(Number(value & 0xffn))
    value >>= 8n
  }
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...body])
}
