/** The people a visitor of the demo can sign in as, each with the credentials Dynamic would have verified. */
import type { VerifiedCredential } from '../src/session/claims.js'
import { defaultCredentials, type TestProfile } from '../src/testing/index.js'

export interface DemoUser {
  key: string
  name: string
  description: string
  sub: string
  profile: TestProfile
  credentials: VerifiedCredential[]
}

export const DEMO_USERS: DemoUser[] = [
  {
    key: 'ada',
    name: 'Ada Lovelace',
    description: 'MetaMask wallet (Ethereum) and email',
    sub: '8f2b1a6e-3c4d-4e5f-9a0b-1c2d3e4f5a6b',
    profile: { email: 'ada@example.com', username: 'ada', given_name: 'Ada', family_name: 'Lovelace' },
    // The test kit's default user: an EVM wallet and a verified email.
    credentials: defaultCredentials(),
  },
  {
    key: 'grace',
    name: 'Grace Hopper',
    description: 'Email only',
    sub: '3d7c9e21-5b4a-4f18-8c6d-2e1f0a9b8c7d',
    profile: { email: 'grace@example.com', username: 'grace', given_name: 'Grace', family_name: 'Hopper' },
    credentials: [
      {
        id: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
        format: 'email',
        email: 'grace@example.com',
        public_identifier: 'grace@example.com',
        signInEnabled: true,
      },
    ],
  },
  {
    key: 'satoshi',
    name: 'Satoshi',
    description: 'Phantom wallet (Solana)',
    sub: 'b1e2d3c4-a5f6-4b7c-8d9e-0f1a2b3c4d5e',
    profile: { username: 'satoshi', given_name: 'Satoshi', family_name: 'N.' },
    credentials: [
      {
        id: '2f3e4d5c-6b7a-4c8d-9e0f-1a2b3c4d5e6f',
        format: 'blockchain',
        address: '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV',
        chain: 'solana',
        wallet_name: 'phantom',
        wallet_provider: 'browserExtension',
        public_identifier: '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV',
        signInEnabled: true,
      },
    ],
  },
]
