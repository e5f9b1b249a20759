/**
 * Counts the API operations of Dynamic's SDK API that Dynamic's client (`@dynamic-labs-sdk/client`,
 * pinned) references, and how many of them the emulator serves: an operation is served when a
 * request to its path does not answer 404 `not_emulated` (nor reaches the emulator's own
 * `POST verify`, which mints test tokens rather than Dynamic's wallet verification).
 *
 * The operations come from the client's API layer (`SDKApi.js` of its `@dynamic-labs/sdk-api-core`):
 * each `<name>Raw` method's path and HTTP method. "Referenced" means the client's built code calls
 * `.<name>(`, `.<name>.bind` or names it in an object (`<name>:`).
 *
 *     node --import tsx scripts/emulator-operations.ts [path/to/src/testing/index.ts] [--list]
 *
 * The optional path measures another checkout's emulator (an older commit, say).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const require = createRequire(import.meta.url)
const clientDist = dirname(require.resolve('@dynamic-labs-sdk/client'))
const clientRequire = createRequire(join(clientDist, 'index.esm.js'))
const apiFile = join(dirname(clientRequire.resolve('@dynamic-labs/sdk-api-core')), 'apis', 'SDKApi.js')

interface Operation {
  name: string
  method: string
  path: string
}

/** Every operation of the SDK API: `async <name>Raw(…) { … path: `…`, method: '…' … }`. */
function operations(): Operation[] {
  const source = readFileSync(apiFile, 'utf8')
  const out: Operation[] = []
  for (const match of source.matchAll(/async (\w+)Raw\(requestParameters, initOverrides\) \{([\s\S]*?)\n {4}\}/g)) {
    const body = match[2]!
    const path = /path: `([^`]+)`/.exec(body)?.[1]
    const method = /method: '([A-Z]+)'/.exec(body)?.[1]
    if (path && method && method !== 'OPTIONS') out.push({ name: match[1]!, method, path })
  }
  return out
}

/** The operations the client's built code references. */
function referenced(all: readonly Operation[]): Operation[] {
  const code = readdirSync(clientDist)
    .filter((file) => file.endsWith('.esm.js') && !file.includes('.native.'))
    .map((file) => readFileSync(join(clientDist, file), 'utf8'))
    .join('\n')
  return all.filter(({ name }) => new RegExp(`\\.${name}(\\(|\\.bind)|\\b${name}:`).test(code))
}

const args = process.argv.slice(2)
const list = args.includes('--list')
const testingIndex = resolve(args.find((arg) => !arg.startsWith('--')) ?? 'src/testing/index.ts')
const { createTestIssuer } = (await import(
  pathToFileURL(testingIndex).href
)) as typeof import('../src/testing/index.js')

const ops = referenced(operations())
const server = await createTestIssuer({ modulusLength: 2048 } as never).listen()
const served: Operation[] = []
try {
  for (const op of ops) {
    const path = op.path.replace('{environmentId}', server.environmentId).replace(/\{\w+\}/g, 'x')
    const response = await fetch(`${server.apiBaseUrl}${path}`, {
      method: op.method,
      headers: { 'content-type': 'application/json' },
      ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: '{}' }),
    })
    const body = (await response.json().catch(() => ({}))) as { code?: string; error?: string }
    const unserved = response.status === 404 && (body.code === 'not_emulated' || body.error === 'not_found')
    const emulatorServer = op.method === 'POST' && op.path === '/sdk/{environmentId}/verify'
    if (!unserved && !emulatorServer) served.push(op)
  }
} finally {
  await server.close()
}
if (list) for (const op of served) console.log(`served  ${op.method} ${op.path}  (${op.name})`)
console.log(`${served.length} of the ${ops.length} operations Dynamic's client references are served.`)
