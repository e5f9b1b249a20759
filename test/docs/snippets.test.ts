/**
 * The documentation checker (scripts/check-snippets.ts): a snippet that stops compiling, or a link
 * to a missing page or heading, fails it with the Markdown file and line; a block marked
 * `<!-- fragment -->` is skipped; and the troubleshooting guide has a section for every error code.
 */
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkLinks, checkSnippets, extractSnippets, headingAnchors, slugify } from '../../scripts/check-snippets.js'
import { ERROR_CODES } from '../../src/errors.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'dynamic-guard-snippets-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const BROKEN = `# A page

Some text.

\`\`\`ts
import { createDynamicAuth } from 'dynamic-guard'

const auth = createDynamicAuth({ environmentId: 42 })
\`\`\`

<!-- fragment -->
\`\`\`ts
this is not TypeScript at all
\`\`\`

See [the guide](./missing.md) and [this section](#nowhere).
`

const GOOD = `# Good page

## The \`token_missing\` case

\`\`\`typescript
import { createDynamicAuth } from 'dynamic-guard'
import { createTestIssuer } from 'dynamic-guard/testing'

const issuer = createTestIssuer()
const auth = createDynamicAuth(issuer.authOptions())
export const userId: string = (await auth.verifyToken(issuer.mint())).userId
\`\`\`

Back to [the case](#the-token-missing-case).
`

describe('scripts/check-snippets.ts', () => {
  it('fails on a snippet that does not compile and on broken links, naming file and line', () => {
    const file = join(dir, 'broken.md')
    writeFileSync(file, BROKEN)
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/check-snippets.ts'), dir], {
      cwd: root,
      encoding: 'utf8',
    })
    assert.equal(run.status, 1, run.stdout + run.stderr)
    // The type error is on line 8 of broken.md: environmentId must be a string.
    assert.match(run.stderr, /broken\.md:8: TS2322: Type 'number' is not assignable to type 'string'/)
    assert.match(run.stderr, /broken\.md:16: link \.\/missing\.md: no such file/)
    assert.match(run.stderr, /broken\.md:16: link #nowhere: no heading #nowhere/)
    // The fragment is skipped: nothing reported on its line.
    assert.doesNotMatch(run.stderr, /broken\.md:13:/)
    assert.match(run.stdout, /1 Markdown files, 1 TypeScript snippets \(1 problems\), links \(2 problems\)/)
  })

  it('passes a page whose snippets compile and whose links resolve', () => {
    const file = join(dir, 'good.md')
    writeFileSync(file, GOOD)
    const snippets = extractSnippets(file, GOOD)
    assert.equal(snippets.length, 1)
    assert.equal(snippets[0]!.line, 6)
    assert.deepEqual(checkSnippets(snippets), [])
    assert.deepEqual(checkLinks([file]).problems, [])
  })

  it('slugs headings as VitePress does', () => {
    assert.equal(slugify('The `token_missing` case'), 'the-token-missing-case')
    assert.equal(slugify('Cookies and cross-site requests'), 'cookies-and-cross-site-requests')
    assert.equal(slugify('1. First'), '_1-first')
    assert.deepEqual(
      [...headingAnchors('# A\n## A\n```sh\n# not a heading\n```\n### B {#custom}\n')],
      ['a', 'a-1', 'custom'],
    )
  })
})

describe('the troubleshooting guide', () => {
  it('has a section for every error code', () => {
    const anchors = headingAnchors(readFileSync(join(root, 'docs/guide/troubleshooting.md'), 'utf8'))
    const missing = ERROR_CODES.filter((code) => !anchors.has(slugify(code)))
    assert.deepEqual(missing, [], `docs/guide/troubleshooting.md has no section for ${missing.join(', ')}`)
  })

  it('explains every pending step of insufficient_scope', () => {
    const text = readFileSync(join(root, 'docs/guide/troubleshooting.md'), 'utf8')
    for (const step of ['mfa', 'user_data_form', 'device_registration', 'sign_in_incomplete'])
      assert.ok(text.includes(`| \`${step}\` |`), step)
  })
})
