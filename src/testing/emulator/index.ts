/** The Dynamic emulator: Dynamic's SDK API for one environment, served by the emulator server. */
export { createEmulator, type DynamicEmulator, type EmulatorCore, type EmulatorSessionInfo } from './emulator.js'
export {
  INFORMATION_FIELDS,
  type EmulatorOptions,
  type EmulatorOtp,
  type EmulatorSmsOtp,
  type EmulatorWebhookOptions,
  type InformationField,
} from './options.js'
export { isLoopbackHostname, isLoopbackOrigin } from './cors.js'
export { EmulatorError } from './http.js'
export type { SessionObject } from './sessions.js'
export type { EmulatorEventName, WebhookDelivery } from './webhooks.js'
export {
  createMemoryKeychain,
  createMemoryStorageAdapter,
  dynamicClientConfig,
  type DynamicClientConfigForEmulator,
  type MemoryKeychain,
  type MemoryStorageAdapter,
} from './client.js'
export type { ElevatedTokenSetting, EmulatorStepUpOptions } from './step-up.js'
