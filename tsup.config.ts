import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig, type Options } from 'tsup'

/** Public entry points: one per subpath export of package.json (see "exports"). */
const entries: Record<string, string> = {
  index: 'src/index.ts',
  extend: 'src/extend.ts',
  telemetry: 'src/telemetry.ts',
  testing: 'src/testing/index.ts',
  express: 'src/adapters/express.ts',
  fastify: 'src/adapters/fastify.ts',
  hono: 'src/adapters/hono.ts',
  koa: 'src/adapters/koa.ts',
  next: 'src/adapters/next.ts',
  fetch: 'src/adapters/fetch.ts',
  http: 'src/http/index.ts',
  redis: 'src/redis/index.ts',
  webhooks: 'src/webhooks/index.ts',
  'session-key': 'src/session-key/client.ts',
  cli: 'src/cli/index.ts',
}
/**
 * The entries that also get a web build (dist/web/): the ones that run on Workers, edge runtimes
 * and Deno/Bun, where package.json's `workerd`, `edge-light`, `deno` and `bun` conditions send
 * them. Node-only entries (testing, express, koa, redis, cli, ...) have none.
 */
const webEntries = ['index', 'extend', 'telemetry', 'http', 'fetch', 'hono', 'next', 'session-key']

const present = (names: readonly string[], root: string): Record<string, string> =>
  Object.fromEntries(names.map((name) => [name, resolve(root, entries[name]!)]).filter(([, file]) => existsSync(file!)))

// Frameworks and clients are peer dependencies: never bundled.
const external = [
  'express',
  'fastify',
  'fastify-plugin',
  'hono',
  'koa',
  'next',
  'redis',
  'ioredis',
  '@opentelemetry/api',
]

/**
 * The web build replaces the node:crypto default backend by the WebCrypto one, so that nothing
 * in it imports a `node:` module.
 */
const webSignatureBackend = (root: string) => ({
  name: 'web-signature-backend',
  setup(build: {
    onResolve(
      options: { filter: RegExp },
      callback: (args: { path: string; resolveDir: string }) => { path: string } | undefined,
    ): void
  }) {
    const nodeDefault = resolve(root, 'src/signature/default')
    build.onResolve({ filter: /(^|\/)default\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path).replace(/\.js$/, '') === nodeDefault
        ? { path: `${nodeDefault}.web.ts` }
        : undefined,
    )
  },
})

/**
 * The build: Node (ESM + CJS + types) into `outDir`, web (ESM) into `outDir`/web. `only` limits
 * it to some entries (the runtime tests build just what they load); `root` is the package folder.
 */
export function buildOptions(outDir = 'dist', only?: readonly string[], root = '.'): Options[] {
  const pick = (names: readonly string[]) => present(only ? names.filter((name) => only.includes(name)) : names, root)
  return [
    {
      entry: pick(Object.keys(entries)),
      outDir,
      format: ['esm', 'cjs'],
      dts: true,
      // No source maps in the package: the build is not minified (stack traces already name
      // readable functions), the maps would point at src/, which is not published, and they were
      // two thirds of the unpacked size.
      sourcemap: false,
      clean: ['!web/**'],
      target: 'node20',
      platform: 'node',
      splitting: true,
      treeshake: true,
      external,
    },
    {
      entry: pick(webEntries),
      outDir: `${outDir}/web`,
      format: ['esm'],
      dts: false, // the web build has the same API: its types are the Node build's
      sourcemap: false,
      clean: true,
      target: 'es2022',
      platform: 'neutral',
      splitting: true,
      treeshake: true,
      external,
      esbuildPlugins: [webSignatureBackend(root)],
    },
  ]
}

export default defineConfig(buildOptions())
