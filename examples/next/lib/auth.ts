/** One verifier for the whole Next app (it holds the key cache). */
import { createDynamicAuth } from '../../../src/index.js'

export const auth = createDynamicAuth({
  environmentId: process.env.DYNAMIC_ENVIRONMENT_ID ?? '2762a57b-faa4-41ce-9f16-abff9300e2c9',
})
