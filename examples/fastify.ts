/** Fastify 5. In your app: `import { ... } from 'dynamic-guard/fastify'`. */
import Fastify from 'fastify'
import { createDynamicAuth } from '../src/index.js'
import { dynamicAuthPlugin, requireScopes } from '../src/adapters/fastify.js'

const auth = createDynamicAuth({
  environmentId: process.env.DYNAMIC_ENVIRONMENT_ID ?? '2762a57b-faa4-41ce-9f16-abff9300e2c9',
})

export async function build() {
  const app = Fastify()

  // Protected API: every route in this plugin needs a signed-in user.
  await app.register(
    async (api) => {
      await api.register(dynamicAuthPlugin, { auth })
      api.get('/me', async (request) => ({ userId: request.auth!.userId, scopes: request.auth!.scopes }))
      api.post('/transfers', { onRequest: requireScopes('wallet:sign') }, async (request, reply) =>
        reply.code(201).send({ from: request.auth!.userId }),
      )
    },
    { prefix: '/api' },
  )

  // Route by route: the plugin without its app-wide hook.
  await app.register(async (pages) => {
    await pages.register(dynamicAuthPlugin, { auth, global: false })
    pages.get('/public', async () => ({ hello: 'world' }))
    pages.get('/private', { onRequest: pages.dynamicAuth }, async (request) => ({ userId: request.auth!.userId }))
  })
  return app
}
