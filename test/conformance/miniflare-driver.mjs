// Runs a Worker module on workerd through Miniflare (on Node 22), sends it one request and prints
// the response body as `WORKER <status> <body>`. Usage: node miniflare-driver.mjs <worker.js> <url>
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const [script, url] = process.argv.slice(2)
const runtimes = join(dirname(fileURLToPath(import.meta.url)), '../../runtimes/package.json')
const { Miniflare } = await import(pathToFileURL(createRequire(runtimes).resolve('miniflare')).href)

// No nodejs_compat flag: the Worker must run on plain workerd, with WebCrypto and fetch alone.
const mf = new Miniflare({ modules: true, scriptPath: script, compatibilityDate: '2025-09-01' })
try {
  const response = await mf.dispatchFetch(url)
  const body = await response.text()
  process.stdout.write(`WORKER ${response.status} ${body.replace(/\n/g, ' ')}\n`)
} finally {
  await mf.dispose()
}
