/**
 * The API report: every public name of each entry point of the package, as API Extractor sees
 * the declarations that tsup wrote to dist/, one Markdown file per entry in etc/api/
 * (`etc/api/<entry>.api.md`). The reports are checked in, so that a change to the public API
 * shows in review as a change to them.
 *
 * The entry points are not listed here: they are the subpaths of package.json "exports", mapped
 * to tsup.config.ts entries (`apiEntryPoints`, shared with the API reference), so a new subpath
 * gets its report without touching this script. API Extractor's settings are in
 * api-extractor.json.
 *
 * Usage (after `npm run build`):
 *   node --import tsx scripts/api-report.ts            # writes the reports (npm run api:report)
 *   node --import tsx scripts/api-report.ts --check    # fails when they differ (npm run api:check)
 * Options: `--reports <folder>` (default etc/api), `--only <entry>[,<entry>…]`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CompilerState, Extractor, ExtractorConfig, type ExtractorMessage } from '@microsoft/api-extractor'
import { type ApiEntryPoint, apiEntryPoints } from './docs-api.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const REPORT_SUFFIX = '.api.md'

/** What comparing the fresh reports with the checked-in ones found, by entry. */
export interface ReportDifferences {
  readonly missing: string[]
  readonly changed: { entry: string; diff: string[] }[]
  /** Checked-in reports of entries that no longer exist. */
  readonly stale: string[]
}

/** Runs API Extractor on each entry's declarations; returns the fresh report text by entry. */
function extract(entries: readonly ApiEntryPoint[]): Map<string, string> {
  const configFile = resolve(root, 'api-extractor.json')
  const packageJsonFullPath = resolve(root, 'package.json')
  const current = resolve(root, '.tmp/api-report/current')
  rmSync(current, { recursive: true, force: true })
  mkdirSync(current, { recursive: true })
  const configs = entries.map((entry) => {
    const types = resolve(root, entry.types)
    if (!existsSync(types)) throw new Error(`${entry.types} is missing: run \`npm run build\` first`)
    const configObject = ExtractorConfig.loadFile(configFile)
    configObject.mainEntryPointFilePath = types
    configObject.apiReport = { ...configObject.apiReport!, enabled: true, reportFileName: entry.entry }
    return ExtractorConfig.prepare({ configObject, configObjectFullPath: configFile, packageJsonFullPath })
  })
  // One TypeScript program for every entry: the entries share most of their declarations.
  const compilerState = CompilerState.create(configs[0]!, {
    additionalEntryPoints: configs.map((config) => config.mainEntryPointFilePath),
  })
  const problems: string[] = []
  const reports = new Map<string, string>()
  entries.forEach((entry, index) => {
    const result = Extractor.invoke(configs[index]!, {
      localBuild: true,
      compilerState,
      messageCallback: (message: ExtractorMessage) => {
        // Only the messages api-extractor.json keeps (warning, error) are printed, one line each;
        // its console messages (about the report files it writes to .tmp/) are this script's job.
        message.handled = true
        if (message.category === 'console' && message.logLevel !== 'error') return
        if (message.logLevel === 'warning' || message.logLevel === 'error') {
          const where = message.sourceFilePath
            ? `${relative(root, message.sourceFilePath)}:${message.sourceFileLine ?? 0}: `
            : ''
          problems.push(`${entry.name}: ${where}${message.logLevel} ${message.messageId}: ${message.text}`)
        }
      },
    })
    if (!result.succeeded) problems.push(`${entry.name}: API Extractor failed (${result.errorCount} errors)`)
    reports.set(entry.entry, stable(readFileSync(join(current, `${entry.entry}${REPORT_SUFFIX}`), 'utf8'), entry.name))
  })
  if (problems.length > 0) throw new Error(`API Extractor reported problems:\n${problems.join('\n')}`)
  return reports
}

/**
 * The report without what changes when nothing public does: the warnings API Extractor lists at
 * the end name a position in dist/, in chunks whose names carry a content hash
 * (`dist/store-BUn4CDKJ.d.ts:66:5`); they keep their text, sorted, without the position. The title
 * names the entry point rather than the package. The `(undocumented)` marks go: TSDoc is
 * `npm run check:docs`'s business, and writing a comment does not change the API.
 */
function stable(report: string, name: string): string {
  const titled = report
    .replace(/^## API Report File for "[^"]*"/, `## API Report File for "${name}"`)
    .replace(/^[ \t]*\/\/ \(undocumented\)\n/gm, '')
    .replace(/^([ \t]*\/\/ .*?) \(undocumented\)$/gm, '$1')
  return titled.replace(
    /(\/\/ Warnings were encountered during analysis:\n\/\/\n)((?:\/\/ .*\n)+)/,
    (_, head: string, lines: string) =>
      head +
      lines
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(/^\/\/ \S+\.d\.c?ts:\d+:\d+ - /, '// '))
        .sort()
        .join('\n') +
      '\n',
  )
}

/** Compares fresh reports with those in `folder`. `all`: the fresh reports cover every entry. */
export function compareReports(fresh: ReadonlyMap<string, string>, folder: string, all: boolean): ReportDifferences {
  const missing: string[] = []
  const changed: { entry: string; diff: string[] }[] = []
  for (const [entry, text] of fresh) {
    const file = join(folder, `${entry}${REPORT_SUFFIX}`)
    if (!existsSync(file)) missing.push(entry)
    else {
      const checkedIn = readFileSync(file, 'utf8')
      if (normalize(checkedIn) !== normalize(text))
        changed.push({ entry, diff: lineDiff(normalize(checkedIn), normalize(text)) })
    }
  }
  const stale = all ? checkedInEntries(folder).filter((entry) => !fresh.has(entry)) : []
  return { missing, changed, stale }
}

function checkedInEntries(folder: string): string[] {
  if (!existsSync(folder)) return []
  return readdirSync(folder)
    .filter((name) => name.endsWith(REPORT_SUFFIX))
    .map((name) => name.slice(0, -REPORT_SUFFIX.length))
}

const normalize = (text: string) => text.replace(/\r\n/g, '\n')

/** The lines only in `before` (`-`) and only in `after` (`+`), in order: a small LCS diff. */
function lineDiff(before: string, after: string, limit = 40): string[] {
  const a = before.split('\n')
  const b = after.split('\n')
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!)
    }
  }
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++
      j++
    } else if (i < a.length && (j === b.length || lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) out.push(`- ${a[i++]}`)
    else out.push(`+ ${b[j++]}`)
  }
  return out.length > limit ? [...out.slice(0, limit), `… ${out.length - limit} more lines`] : out
}

function main(): void {
  const { values } = parseArgs({
    options: { check: { type: 'boolean', default: false }, reports: { type: 'string' }, only: { type: 'string' } },
  })
  const folder = resolve(root, values.reports ?? 'etc/api')
  const only = values.only?.split(',')
  const entries = apiEntryPoints().filter((entry) => !only || only.includes(entry.entry))
  if (only && entries.length !== only.length) throw new Error(`--only ${values.only}: not every name is an entry point`)
  const fresh = extract(entries)
  const shown = relative(root, folder).startsWith('..') ? folder : relative(root, folder) || '.'

  if (!values.check) {
    mkdirSync(folder, { recursive: true })
    for (const [entry, text] of fresh) writeFileSync(join(folder, `${entry}${REPORT_SUFFIX}`), text)
    const stale = only ? [] : checkedInEntries(folder).filter((entry) => !fresh.has(entry))
    for (const entry of stale) rmSync(join(folder, `${entry}${REPORT_SUFFIX}`))
    console.log(
      `API report: ${fresh.size} entry points → ${shown}/${stale.length > 0 ? ` (removed ${stale.join(', ')})` : ''}`,
    )
    return
  }

  const { missing, changed, stale } = compareReports(fresh, folder, !only)
  if (missing.length + changed.length + stale.length === 0) {
    console.log(`API report: the public API of ${fresh.size} entry points matches ${shown}/`)
    return
  }
  const lines = [
    ...missing.map((entry) => `${shown}/${entry}${REPORT_SUFFIX}: missing (a new entry point?)`),
    ...stale.map((entry) => `${shown}/${entry}${REPORT_SUFFIX}: no such entry point any more`),
    ...changed.flatMap(({ entry, diff }) => [
      `${shown}/${entry}${REPORT_SUFFIX}: the public API changed`,
      ...diff.map((line) => `    ${line}`),
    ]),
  ]
  console.error(
    `${lines.join('\n')}\n\nThe public API differs from the checked-in report. If the change is intended, run \`npm run api:report\` ` +
      `and review the diff of ${shown}/ (git diff ${shown}/) before committing it.`,
  )
  process.exitCode = 1
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main()
  } catch (error: unknown) {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  }
}
