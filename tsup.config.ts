import { existsSync } from 'node:fs'
import { defineConfig } from 'tsup'

/** Public entry points: one per subpath export of package.json (see "exports"). */
const entries: Record<string, string> = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  express: 'src/adapters/express.ts',
  fastify: 'src/adapters/fastify.ts',
  hono: 'src/adapters/hono.ts',
  koa: 'src/adapters/koa.ts',
  next: 'src/adapters/next.ts',
  fetch: 'src/adapters/fetch.ts',
  redis: 'src/redis/index.ts',
  webhooks: 'src/webhooks/index.ts',
  cli: 'src/cli/index.ts',
}
const present = Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)))

export default defineConfig({
  entry: present,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  // Frameworks and clients are peer dependencies: never bundled.
  external: ['express', 'fastify', 'fastify-plugin', 'hono', 'koa', 'next', 'redis', 'ioredis'],
})
