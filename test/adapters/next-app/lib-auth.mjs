// One verifier for the app, from the JWKS the test hands over (no network).
import { createDynamicAuth } from './lib/dynamic-guard.mjs'

export const auth = createDynamicAuth({
  environmentId: process.env.DG_NEXT_ENVIRONMENT_ID,
  staticKeys: { jwks: JSON.parse(process.env.DG_NEXT_JWKS) },
})
