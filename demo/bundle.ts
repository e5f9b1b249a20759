/**
 * Bundles the page's sign-in module (client/sign-in.ts, with Dynamic's client inside) for the
 * browser, in memory, when the demo starts: no build step to remember, no stale file, and the page
 * loads it from the demo's own origin (nothing comes from a CDN).
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const entry = fileURLToPath(new URL('./client/sign-in.ts', import.meta.url))

/** Builds the sign-in module as one ES module and returns its source. */
export async function bundleSignIn(): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error('esbuild produced no output for the sign-in module.')
  return output.text
}
