/**
 * The README is the package's page on the registry, read by someone choosing a library: its first
 * screen says what the package does and shows the install and a protected route; it carries no
 * internal bookkeeping (benchmark targets, times of day, load averages); every link is absolute,
 * so that it resolves from the registry page, and points into this repository where package.json
 * says the repository is; its last section keeps the two commands a fresh machine needs, the
 * second being the one CI runs.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './packed.js'

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  repository: { type: string; url: string }
  homepage: string
  bugs: { url: string }
}
const REPOSITORY = 'https://github.com/dynamic-guard/dynamic-guard'
const DEMO = 'npm ci && npm start'
const TEST = './scripts/setup-test-env.sh && npm ci && npm test'

/** Every link and image target of a Markdown text. */
function targets(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
  return [
    ...withoutCode.matchAll(/!?\[[^\]]*\]\(([^)\s]+)[^)]*\)/g),
    ...withoutCode.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm),
  ].map((m) => m[1]!)
}

describe('README.md', () => {
  it('shows what the package is, the install and a protected route on its first screen', () => {
    const firstScreen = readme.split('\n').slice(0, 40).join('\n')
    assert.match(firstScreen, /^# dynamic-guard\n/)
    assert.match(firstScreen, /Dynamic/)
    assert.match(firstScreen, /user:basic/)
    assert.match(firstScreen, /```sh\nnpm install dynamic-guard\n```/)
    assert.match(
      firstScreen,
      /from 'dynamic-guard\/express'[\s\S]*dynamicAuth\(auth\)/,
      'a route protected by an adapter',
    )
    assert.ok(
      firstScreen.indexOf('npm install dynamic-guard') < firstScreen.indexOf('git clone') ||
        !firstScreen.includes('git clone'),
    )
    assert.doesNotMatch(firstScreen, /setup-test-env/, 'the contributor commands belong to the last section')
  })

  it('lists the adapters and points to the one-command demo near the top', () => {
    const top = readme.slice(0, readme.indexOf('\n## '))
    for (const adapter of ['express', 'fastify', 'hono', 'koa', 'next', 'fetch'])
      assert.ok(top.includes(`\`dynamic-guard/${adapter}\``), `the adapters table lacks ${adapter}`)
    assert.ok(top.includes(DEMO), 'the demo command')
  })

  it('carries no internal bookkeeping: no targets, times of day or load averages', () => {
    const patterns = [
      /\bgoal\b/i,
      /\bmissed\b/i,
      /\btargets?\b/i,
      /\b\d{1,2}:\d{2}\b/,
      /\bUTC\b/,
      /load average/i,
      /\d\.\d+×/,
    ]
    const found = patterns.filter((pattern) => pattern.test(readme)).map(String)
    assert.deepEqual(found, [], 'internal figures belong in docs/guide/benchmarks.md or CONTRIBUTING.md')
  })

  it('links with absolute URLs only, into this repository where package.json says it is', () => {
    const all = targets(readme)
    assert.ok(all.length > 10, `found only ${all.length} links`)
    const relative = all.filter((target) => !/^https:\/\//.test(target))
    assert.deepEqual(relative, [], 'relative links point nowhere on the registry page')
    const missing = all
      .map(
        (target) =>
          new RegExp(
            `^(?:${REPOSITORY}/blob/main/|https://raw\\.githubusercontent\\.com/dynamic-guard/dynamic-guard/main/)([^#]+)`,
          ).exec(target)?.[1],
      )
      .filter((path): path is string => path !== undefined && !existsSync(join(ROOT, path)))
    assert.deepEqual(missing, [], 'links to files the repository lacks')
  })

  it('package.json names the repository, the homepage and the issue tracker', () => {
    assert.deepEqual(pkg.repository, { type: 'git', url: `git+${REPOSITORY}.git` })
    assert.ok(pkg.homepage.startsWith(REPOSITORY))
    assert.equal(pkg.bugs.url, `${REPOSITORY}/issues`)
  })

  it('ends with the demo and test commands, exactly, the test command being the one CI runs, and links CONTRIBUTING.md', () => {
    const last = readme.slice(readme.lastIndexOf('\n## '))
    assert.match(last, /^\n## Working on this repository/)
    assert.ok(last.includes(`\n${DEMO} `), `the last section has \`${DEMO}\``)
    assert.ok(last.includes(`\n${TEST} `), `the last section has \`${TEST}\``)
    assert.ok(last.includes(`${REPOSITORY}/blob/main/CONTRIBUTING.md`))
    assert.ok(existsSync(join(ROOT, 'CONTRIBUTING.md')))
    assert.ok(readFileSync(join(ROOT, '.ci/run'), 'utf8').includes(TEST), '.ci/run runs the README test command')
  })

  it('says which Node lines are supported and tested, and that Node 20 is past its end of life', () => {
    for (const line of ['Node 20', 'Node 22', 'Node 24']) assert.ok(readme.includes(line), line)
    assert.match(readme, /Node 20[^\n]*past its end of life/)
  })
})
