/**
 * The project settings the emulated environment answers `GET settings` with: the members Dynamic's
 * client needs (`chains` and `kyc` arrays, `security` with the auth storage and MFA), shaped as
 * Dynamic's `ProjectSettings` model, and the information fields in the `kyc` shape that tokens
 * also use for `missing_fields`.
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

/** The settings document. */
export function projectSettings(options: EmulatorOptions, environmentName: string): Record<string, unknown> {
  const mfa = options.requireMfa === true
  return {
    environmentName,
    chains: [],
    kyc: informationFields(options.requiredFields ?? []),
    customFields: [],
    design: {},
    general: { displayName: 'Local Dynamic (dynamic-guard emulator)', collectUserDataWelcomeHeader: 'Tell us about you' },
    privacy: { collectIp: false },
    providers: [],
    sdk: {
      emailSignIn: { signInProvider: 'dynamic' },
      multiWallet: false,
      confirmWalletTransfers: false,
    },
    security: {
      auth: { storage: options.cookieAuth ? ['cookie'] : ['localstorage'] },
      mfa: { enabled: mfa, required: mfa, availableMethods: mfa ? ['totp'] : [], methods: [], actions: [] },
      externalAuth: { enabled: false },
      deviceRegistrationRequired: false,
      environmentLocked: false,
    },
    networks: [],
  }
}
