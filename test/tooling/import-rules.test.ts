/**
 * The import rules (.dependency-cruiser.cjs, `npm run check:imports`) catch a cycle and an import
 * from the core up into a layer built on it: dependency-cruiser runs with the repository's rules
 * over a small src/ written to a temporary folder.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { root, run } from './run.js'

/** Writes `files` (path under the folder → source) into a new temporary folder with a tsconfig. */
function fixture(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'import-rules-'))
  const all = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' },
      include: ['src'],
    }),
    ...files,
  }
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true })
    writeFileSync(join(folder, path), text)
  }
  return folder
}

const cruise = (folder: string) =>
  run(
    join(root, 'node_modules/.bin/depcruise'),
    ['src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'err'],
    folder,
  )

describe('import rules', () => {
  test('a tree whose layers point one way passes', async (t) => {
    const folder = fixture({
      'src/errors.ts': 'export const code = 1\n',
      'src/verifier.ts': "import { code } from './errors.js'\nexport const verify = () => code\n",
      'src/http/authenticate.ts':
        "import { verify } from '../verifier.js'\nexport const authenticate = () => verify()\n",
      'src/adapters/express.ts':
        "import { authenticate } from '../http/authenticate.js'\nexport const middleware = () => authenticate()\n",
    })
    t.after(() => rmSync(folder, { recursive: true, force: true }))
    const result = await cruise(folder)
    assert.equal(result.code, 0, result.stdout + result.stderr)
  })

  test('a cycle, and the core importing up into http/, are refused', async (t) => {
    const folder = fixture({
      'src/verifier.ts':
        "import { authenticate } from './http/authenticate.js'\nexport const verify = () => 1\nexport const viaHttp = authenticate\n",
      'src/http/authenticate.ts':
        "import { verify } from '../verifier.js'\nexport const authenticate = () => verify()\n",
    })
    t.after(() => rmSync(folder, { recursive: true, force: true }))
    const result = await cruise(folder)
    assert.notEqual(result.code, 0)
    assert.match(result.stdout, /error no-circular: src\/(verifier|http\/authenticate)\.ts/)
    assert.match(result.stdout, /error core-imports-no-upper-layer: src\/verifier\.ts → src\/http\/authenticate\.ts/)
  })

  test('http/ importing an adapter, and production code importing the testing kit, are refused', async (t) => {
    const folder = fixture({
      'src/testing/test-issuer.ts': 'export const issuer = 1\n',
      'src/adapters/express.ts': 'export const middleware = 1\n',
      'src/http/guard.ts': "import { middleware } from '../adapters/express.js'\nexport const guard = middleware\n",
      'src/webhooks/handler.ts': "import { issuer } from '../testing/test-issuer.js'\nexport const handler = issuer\n",
      'src/cli/dev.ts': "import { issuer } from '../testing/test-issuer.js'\nexport const dev = issuer\n",
    })
    t.after(() => rmSync(folder, { recursive: true, force: true }))
    const result = await cruise(folder)
    assert.notEqual(result.code, 0)
    assert.match(result.stdout, /error http-imports-no-adapter: src\/http\/guard\.ts → src\/adapters\/express\.ts/)
    assert.match(
      result.stdout,
      /error testing-kit-only-for-tests: src\/webhooks\/handler\.ts → src\/testing\/test-issuer\.ts/,
    )
    // The CLI's dev server may use the kit.
    assert.doesNotMatch(result.stdout, /src\/cli\/dev\.ts/)
  })
})
