/**
 * The API report check (`npm run api:check`) fails when the public API differs from the reports
 * in etc/api/, and says what to run. Needs the build (`npm run build`; npm test builds first).
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compareReports } from '../../scripts/api-report.js'
import { root, run } from './run.js'

/** The smallest entry point: one run of API Extractor over it is enough to see the check work. */
const ENTRY = 'webhooks'
const check = (reports: string) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/api-report.ts', '--check', '--reports', reports, '--only', ENTRY])

describe('API report check', () => {
  test('the build is there (npm run build)', () => {
    assert.ok(existsSync(join(root, 'dist/webhooks.d.ts')), 'dist/ is missing: run `npm run build` first')
  })

  test('passes on the reports as checked in; fails on a copy with a line changed, saying to run api:report', async (t) => {
    const folder = mkdtempSync(join(tmpdir(), 'api-report-'))
    t.after(() => rmSync(folder, { recursive: true, force: true }))
    cpSync(join(root, 'etc/api'), folder, { recursive: true })

    const same = await check(folder)
    assert.equal(same.code, 0, same.stderr)
    assert.match(same.stdout, /matches/)

    // One public name renamed in the report, as if the code had renamed it since.
    const file = join(folder, `${ENTRY}.api.md`)
    const report = readFileSync(file, 'utf8')
    const line = /^export function (\w+)/m.exec(report)
    assert.ok(line, `no exported function in ${ENTRY}.api.md`)
    writeFileSync(file, report.replace(line[0], `export function ${line[1]}Renamed`))

    const changed = await check(folder)
    assert.equal(changed.code, 1)
    assert.match(changed.stderr, new RegExp(`${ENTRY}\\.api\\.md: the public API changed`))
    assert.match(changed.stderr, new RegExp(`- export function ${line[1]}Renamed`))
    assert.match(changed.stderr, new RegExp(`\\+ export function ${line[1]}\\b`))
    assert.match(changed.stderr, /run `npm run api:report` and review the diff/)
  })

  test('a report missing for an entry point, and one left for an entry point that is gone, are differences', (t) => {
    const folder = mkdtempSync(join(tmpdir(), 'api-report-'))
    t.after(() => rmSync(folder, { recursive: true, force: true }))
    writeFileSync(join(folder, 'kept.api.md'), 'same\n')
    writeFileSync(join(folder, 'gone.api.md'), 'old\n')
    const fresh = new Map([
      ['kept', 'same\n'],
      ['added', 'new\n'],
    ])
    assert.deepEqual(compareReports(fresh, folder, true), { missing: ['added'], changed: [], stale: ['gone'] })
    // With --only, reports of the other entries are not stale.
    assert.deepEqual(compareReports(fresh, folder, false).stale, [])
  })
})
