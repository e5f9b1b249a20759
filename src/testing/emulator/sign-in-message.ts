/**
 * The message a wallet signs to sign in (EIP-4361, "Sign-In with Ethereum"), as Dynamic's client
 * writes it (`formatSignInMessage`):
 *
 *     localhost:3000 wants you to sign in with your Ethereum account:
 *     0x71C7656EC7ab88b098defB751B7401B5f6d8976F
 *
 *     Welcome to … (the statement)
 *
 *     URI: http://localhost:3000/
 *     Version: 1
 *     Chain ID: 1
 *     Nonce: 4f0e…
 *     Issued At: 2026-12-06T17:00:00.000Z
 *     Request ID: <environment id>
 *
 * Parsing is strict: an unknown field or a malformed line makes the message invalid, so that what
 * was signed is exactly what was checked.
 */

/** A parsed sign-in message. */
export interface SignInMessage {
  domain: string
  /** `Ethereum`, `Solana`, … */
  blockchainName: string
  address: string
  statement?: string
  uri: string
  version: string
  chainId?: string
  nonce: string
  issuedAt?: string
  expirationTime?: string
  notBefore?: string
  requestId?: string
  resources: string[]
}

const FIELDS: Record<string, keyof SignInMessage> = {
  URI: 'uri',
  Version: 'version',
  'Chain ID': 'chainId',
  Nonce: 'nonce',
  'Issued At': 'issuedAt',
  'Expiration Time': 'expirationTime',
  'Not Before': 'notBefore',
  'Request ID': 'requestId',
}

const HEADER = /^(\S{1,255}) wants you to sign in with your ([A-Za-z0-9 ]{1,40}) account:$/

/** The message's fields, or undefined when it is not a sign-in message. */
export function parseSignInMessage(text: string): SignInMessage | undefined {
  if (text.length > 8192) return undefined
  const lines = text.split('\n')
  const header = HEADER.exec(lines[0] ?? '')
  const address = lines[1]
  if (!header || !address || !/^\S{1,128}$/.test(address)) return undefined
  const uriLine = lines.findIndex((line, index) => index > 1 && line.startsWith('URI: '))
  if (uriLine < 0) return undefined
  const statement = lines.slice(2, uriLine).join('\n').trim()
  const fields: Partial<Record<keyof SignInMessage, string>> = {}
  const resources: string[] = []
  for (let index = uriLine; index < lines.length; index++) {
    const line = lines[index]!
    if (line === 'Resources:') {
      for (const item of lines.slice(index + 1)) {
        // The client joins resources with a comma after each line break ("\n- a,\n- b").
        const match = /^- (.+?),?$/.exec(item)
        if (!match) return undefined
        resources.push(match[1]!)
      }
      break
    }
    const colon = line.indexOf(': ')
    const name = colon > 0 ? FIELDS[line.slice(0, colon)] : undefined
    if (!name || name in fields) return undefined
    fields[name] = line.slice(colon + 2)
  }
  if (fields.uri === undefined || fields.version === undefined || fields.nonce === undefined) return undefined
  return {
    domain: header[1]!,
    blockchainName: header[2]!,
    address,
    ...(statement ? { statement } : {}),
    ...(fields as Pick<SignInMessage, 'uri' | 'version' | 'nonce'>),
    resources,
  }
}
