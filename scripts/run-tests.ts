/**
 * The test runner behind `npm test`: node:test over `test/*\/*.test.ts` (or the files given as
 * arguments), two files at a time, TAP on stdout.
 *
 * A file that has not finished after FILE_TIMEOUT_MS is a hang. node:test then kills it and says
 * only "test timed out", so this runner follows which tests each file has started and names the
 * ones still running on stderr: that is what to look at. A hung file is then run once more on
 * its own. A second hang, or any failure, fails the run; a file that passes on its second run
 * passes it with a warning that names what hung the first time, so that the hang gets found and
 * fixed rather than forgotten.
 */
import { readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { run } from 'node:test'
import { tap } from 'node:test/reporters'
import type { Readable } from 'node:stream'

/** Far above the slowest file (about 75 s on two loaded cores), far below CI's patience. */
const FILE_TIMEOUT_MS = 300_000

interface TestEventData {
  readonly name: string
  readonly nesting: number
  readonly file?: string
  readonly line?: number
  readonly column?: number
  readonly details?: { readonly error?: { readonly failureType?: string } }
}
interface TestEvent {
  readonly type: string
  readonly data: TestEventData
}

/** What one run saw: files that hung (with the tests still running) and files that failed. */
interface Outcome {
  readonly hung: Map<string, string[]>
  readonly failed: Set<string>
}

function testFiles(): string[] {
  return readdirSync('test', { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(join('test', dir.name))
        .filter((name) => name.endsWith('.test.ts'))
        .map((name) => join('test', dir.name, name)),
    )
    .sort()
}

/** Runs `files`, writing TAP to stdout, and reports what hung and what failed. */
async function runFiles(files: readonly string[], concurrency: number): Promise<Outcome> {
  const running = new Map<string, Map<string, string[]>>() // file → started, unfinished tests → their path
  const paths = new Map<string, string[]>() // file → the names of the tests open at each nesting
  const hung = new Map<string, string[]>()
  const failed = new Set<string>()
  const keyOf = (data: TestEventData) => `${data.nesting}:${data.line}:${data.column}:${data.name}`

  async function* follow(source: AsyncIterable<TestEvent>): AsyncGenerator<TestEvent> {
    for await (const event of source) {
      const { data } = event
      const file = data.file
      if (file !== undefined && data.name !== file) {
        if (event.type === 'test:dequeue') {
          const path = (paths.get(file) ?? []).slice(0, data.nesting)
          path[data.nesting] = data.name
          paths.set(file, path)
          let started = running.get(file)
          if (!started) running.set(file, (started = new Map()))
          started.set(keyOf(data), path)
        } else if (event.type === 'test:pass' || event.type === 'test:fail') {
          running.get(file)?.delete(keyOf(data))
          if (event.type === 'test:fail') failed.add(file)
        }
      } else if (file !== undefined && event.type === 'test:fail') {
        if (data.details?.error?.failureType === 'testTimeoutFailure') {
          const still = [...(running.get(file)?.values() ?? [])].map((path) => path.join(' > '))
          hung.set(file, still)
          process.stderr.write(
            `\nHANG: ${relative('.', file)} did not finish within ${FILE_TIMEOUT_MS / 1000} s. Tests still running:\n${still.map((name) => `  - ${name}`).join('\n') || '  (none had started: the file hung while loading)'}\n`,
          )
        } else {
          failed.add(file)
        }
      }
      yield event
    }
  }

  // Absolute paths: node:test names a file's own test by the path it was given, and its events
  // carry the absolute one; the same string in both tells a file's test from the tests inside it.
  const stream = run({
    files: files.map((file) => resolve(file)),
    concurrency,
    timeout: FILE_TIMEOUT_MS,
  }) as unknown as Readable
  const followed = stream.compose(follow) as unknown as Readable
  for await (const chunk of followed.compose(tap)) process.stdout.write(chunk as string)
  for (const file of hung.keys()) failed.delete(file)
  return { hung, failed }
}

const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles()
const first = await runFiles(files, 2)
let failed = first.failed.size > 0
if (first.hung.size > 0) {
  const again = [...first.hung.keys()]
  process.stdout.write(
    `# running again, one at a time, the files that hung: ${again.map((file) => relative('.', file)).join(', ')}\n`,
  )
  const second = await runFiles(again, 1)
  if (second.hung.size > 0 || second.failed.size > 0) failed = true
  else {
    process.stderr.write(
      `\nWARNING: ${again.length} file(s) hung once and passed when run again. This is a bug to find, not noise: the tests named above were running when it hung.\n`,
    )
  }
}
process.exitCode = failed ? 1 : 0
