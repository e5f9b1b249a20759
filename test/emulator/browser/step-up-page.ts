/**
 * The page of the browser step-up test: Dynamic's real client (bundled for the browser, its
 * default storage and its IndexedDB keychain) against the local Dynamic, and the session-key
 * signer of dynamic-guard over that keychain. The test drives it through `window.stepUpPage`.
 */
import {
  checkStepUpAuth,
  createDynamicClient,
  getElevatedAccessToken,
  initializeClient,
  sendEmailOTP,
  TokenScope,
  verifyOTP,
} from '@dynamic-labs-sdk/client'
import { getCore, getSessionKeys } from '@dynamic-labs-sdk/client/core'
import { fetchWithSessionKey } from '../../../src/session-key/index.js'

async function start(config: { environmentId: string; apiBaseUrl: string }) {
  const client = createDynamicClient({
    environmentId: config.environmentId,
    autoInitialize: false,
    coreConfig: { apiBaseUrl: config.apiBaseUrl },
    instrumentation: { enabled: false },
    logLevel: 'warn',
  })
  await initializeClient(client)
  const codeOf = async (otpUrl: string, email: string) =>
    ((await (await fetch(`${otpUrl}?email=${encodeURIComponent(email)}`)).json()) as { code: string }).code
  return {
    async signIn(email: string, otpUrl: string) {
      const otp = await sendEmailOTP({ email }, client)
      await verifyOTP({ otpVerification: otp, verificationToken: await codeOf(otpUrl, email) }, client)
      return { token: client.token, publicKey: getSessionKeys(client)?.publicKey ?? null }
    },
    async check() {
      const answer = await checkStepUpAuth({ scope: TokenScope.Walletexport }, client)
      return {
        isRequired: answer.isRequired,
        formats: answer.credentials.map((credential: { format: string }) => credential.format),
      }
    },
    async stepUp(email: string, otpUrl: string) {
      const otp = await sendEmailOTP({ email }, client)
      await verifyOTP(
        {
          otpVerification: otp,
          verificationToken: await codeOf(otpUrl, email),
          requestedScopes: [TokenScope.Walletexport],
        },
        client,
      )
      return { held: getElevatedAccessToken({ scope: TokenScope.Walletexport, consume: false }, client) !== undefined }
    },
    /** The protected action: the elevated token (consumed) and a request signed with the session key (`fetchWithSessionKey`). */
    async exportWallet(url: string, body: string) {
      const elevated = getElevatedAccessToken({ scope: TokenScope.Walletexport }, client)
      const response = await fetchWithSessionKey(getCore(client), url, {
        method: 'POST',
        body,
        token: client.token,
        headers: {
          'content-type': 'application/json',
          ...(elevated ? { 'x-dyn-elevated-access-token': elevated } : {}),
        },
      })
      return {
        status: response.status,
        body: await response.json(),
        consumed: getElevatedAccessToken({ scope: TokenScope.Walletexport, consume: false }, client) === undefined,
      }
    },
  }
}

Object.assign(window, { stepUpPage: { start } })
