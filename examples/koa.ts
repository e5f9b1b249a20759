/** Koa 2 or 3. In your app: `import { ... } from 'dynamic-guard/koa'`. */
import Koa from 'koa'
import { createDynamicAuth } from '../src/index.js'
import { dynamicAuth, requireScopes } from '../src/adapters/koa.js'

const auth = createDynamicAuth({ environmentId: '2762a57b-faa4-41ce-9f16-abff9300e2c9' })

const app = new Koa()
app.use(dynamicAuth(auth)) // refusals answered per RFC 6750 in JSON; { refusals: 'forward' } throws them instead

const signOnly = requireScopes('wallet:sign')
app.use(async (ctx, next) => {
  if (ctx.path === '/transfers' && ctx.method === 'POST') {
    return signOnly(ctx, async () => {
      ctx.status = 201
      ctx.body = { from: ctx.state.auth!.userId }
    })
  }
  return next()
})
app.use((ctx) => {
  ctx.body = { userId: ctx.state.auth!.userId }
})

// With { refusals: 'forward' }, refusals reach Koa's 'error' event (without a token or a stack) unless a middleware answered them.
app.on('error', (error: Error) => {
  console.error(error.message)
})

export default app
