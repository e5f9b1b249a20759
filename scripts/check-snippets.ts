/**
 * Checks the documentation: every TypeScript code block compiles against this package, and every
 * internal link and anchor leads somewhere.
 *
 * - Snippets: each ```ts / ```typescript block of README.md and docs/**\/*.md (the generated API
 *   reference, docs/api/, excepted) is written as a module of its own and type-checked with the
 *   TypeScript compiler, `dynamic-guard` and its subpaths resolving to this package's source (the
 *   subpath exports of package.json, mapped to src/ through tsup.config.ts). A block preceded by
 *   the line `<!-- fragment -->` is skipped.
 * - Links: relative links (`./fleet.md`, `../api/…`, `/guide/testing`, `/chart.svg` from
 *   docs/public/) must name an existing file and `#anchors` an existing heading, slugged the way VitePress slugs them. A page of the docs
 *   site may not link outside docs/ (VitePress could not serve it). Links into docs/api/ are
 *   checked only when the reference has been generated (`npm run docs:api`).
 *
 * Problems are printed as `file:line: message`; the exit code is 1 when there is any.
 *
 * Usage: node --import tsx scripts/check-snippets.ts [file-or-folder ...]
 * (default: README.md and docs/)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, extname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { apiEntryPoints } from './docs-api.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const docsRoot = join(root, 'docs')
const apiRoot = join(docsRoot, 'api')

export interface Problem {
  file: string
  line: number
  message: string
}

export interface Snippet {
  file: string
  /** The line of the snippet's first code line in `file` (1-based). */
  line: number
  code: string
}

/** The Markdown files to check under `paths` (files or folders), the generated API reference and dependencies left out. */
export function markdownFiles(paths: readonly string[]): string[] {
  const found: string[] = []
  const walk = (path: string): void => {
    const stat = statSync(path)
    if (stat.isFile()) {
      if (extname(path) === '.md') found.push(path)
      return
    }
    if (path === apiRoot || /(^|[\\/])(node_modules|\.vitepress|\.git)$/.test(path)) return
    for (const name of readdirSync(path).sort()) walk(join(path, name))
  }
  for (const path of paths) walk(resolve(path))
  return found
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/

/** The ```ts / ```typescript blocks of a Markdown text, minus those marked `<!-- fragment -->`. */
export function extractSnippets(file: string, text: string): Snippet[] {
  const lines = text.split(/\r?\n/)
  const snippets: Snippet[] = []
  let lastContent = ''
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (!open) {
      if (lines[i]!.trim() !== '') lastContent = lines[i]!.trim()
      continue
    }
    const [, indent, fence, lang] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const line = lines[j]!
      if (line.trim().startsWith(fence!) && line.trim().replace(/[`~]/g, '') === '') break
      body.push(line.startsWith(indent!) ? line.slice(indent!.length) : line.trimStart())
    }
    const fragment = lastContent === '<!-- fragment -->'
    if ((lang === 'ts' || lang === 'typescript') && !fragment)
      snippets.push({ file, line: i + 2, code: body.join('\n') })
    lastContent = ''
    i = j
  }
  return snippets
}

/** Minimal declarations of the Bun and Deno globals that runtime snippets use. */
const RUNTIME_GLOBALS = `
type ServeHandler = (request: Request) => Response | Promise<Response>
declare const Bun: { serve(options: { port?: number; hostname?: string; fetch: ServeHandler }): { stop(): void } }
declare const Deno: { serve(handler: ServeHandler): { finished: Promise<void> }; env: { get(name: string): string | undefined } }
`

/** Type-checks every snippet as a module of its own; a problem names the Markdown file and line. */
export function checkSnippets(snippets: readonly Snippet[]): Problem[] {
  if (snippets.length === 0) return []
  // Inside the repository, so that 'express', 'redis', … resolve from its node_modules.
  const work = join(root, '.tmp', `snippets-${process.pid}`)
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  try {
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n')
    writeFileSync(join(work, 'runtime-globals.d.ts'), RUNTIME_GLOBALS)
    const bySource = new Map<string, Snippet>()
    snippets.forEach((snippet, index) => {
      const name = join(work, `snippet-${String(index).padStart(3, '0')}.ts`)
      // `export {}` makes a block without imports a module too, so blocks never share names.
      writeFileSync(name, `${snippet.code}\nexport {}\n`)
      bySource.set(resolve(name), snippet)
    })

    const paths: Record<string, string[]> = {}
    for (const entry of apiEntryPoints()) {
      paths[entry.name] = [join(root, entry.source)]
      paths[`npm:${entry.name}`] = [join(root, entry.source)] // Deno's specifiers
    }
    // Next.js apps import 'next/server' through their bundler's resolution, without an extension.
    paths['next/server'] = [join(root, 'node_modules/next/server.d.ts')]
    const config = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path))
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
    const options: ts.CompilerOptions = {
      ...parsed.options,
      noEmit: true,
      declaration: false,
      sourceMap: false,
      paths,
      rootDir: undefined,
      outDir: undefined,
    }
    const program = ts.createProgram([...bySource.keys(), join(work, 'runtime-globals.d.ts')], options)

    const problems: Problem[] = []
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const file = diagnostic.file && bySource.get(resolve(diagnostic.file.fileName))
      if (!diagnostic.file || !file) continue // src/ is type-checked by `npm run typecheck`
      const at = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      problems.push({
        file: file.file,
        line: file.line + at.line,
        message: `TS${diagnostic.code}: ${message} (column ${at.character + 1})`,
      })
    }
    return problems
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** VitePress's heading slug (@mdit-vue/shared `slugify`). */
export function slugify(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036F]/g, '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this line removes.
      .replace(/[\u0000-\u001f]/g, '')
      .replace(/[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-+|-+$/g, '')
      .replace(/^(\d)/, '_$1')
      .toLowerCase()
  )
}

/** The anchors of a Markdown text's headings: VitePress slugs, `-1`, `-2` for repeats, `{#id}` when given. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>()
  let fence: string | undefined
  for (const line of text.split(/\r?\n/)) {
    const open = FENCE.exec(line)
    if (open) {
      if (fence === undefined) fence = open[2]
      else if (line.trim().startsWith(fence)) fence = undefined
      continue
    }
    if (fence !== undefined) continue
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    let title = heading[1]!
    const custom = /\s*\{#([^}]+)\}\s*$/.exec(title)
    if (custom) {
      anchors.add(custom[1]!)
      continue
    }
    title = title
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
      .replace(/<[^>]+>/g, '') // inline HTML; emphasis and code markers are dropped by the slug itself
    const base = slugify(title)
    let slug = base
    for (let n = 1; anchors.has(slug); n++) slug = `${base}-${n}`
    anchors.add(slug)
  }
  return anchors
}

interface Link {
  line: number
  target: string
}

/** The link targets of a Markdown text (inline links, images, reference definitions, HTML href/src), outside code. */
export function extractLinks(text: string): Link[] {
  const links: Link[] = []
  let fence: string | undefined
  text.split(/\r?\n/).forEach((raw, index) => {
    const open = FENCE.exec(raw)
    if (open) {
      if (fence === undefined) fence = open[2]
      else if (raw.trim().startsWith(fence)) fence = undefined
      return
    }
    if (fence !== undefined) return
    const line = raw.replace(/`[^`]*`/g, '') // inline code
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ line: index + 1, target: m[1]! })
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(\s+.*)?$/.exec(line)
    if (definition) links.push({ line: index + 1, target: definition[1]! })
    for (const m of line.matchAll(/\b(?:href|src)="([^"]+)"/g)) links.push({ line: index + 1, target: m[1]! })
  })
  return links
}

/** Checks the internal links and anchors of `files`; returns the problems and how many links into an ungenerated API reference were skipped. */
export function checkLinks(files: readonly string[]): { problems: Problem[]; skipped: number } {
  const problems: Problem[] = []
  const anchorsOf = new Map<string, Set<string>>()
  const anchors = (file: string) => {
    let found = anchorsOf.get(file)
    if (!found) anchorsOf.set(file, (found = headingAnchors(readFileSync(file, 'utf8'))))
    return found
  }
  const inside = (folder: string, file: string) => file === folder || file.startsWith(folder + sep)
  let skipped = 0
  for (const file of files) {
    const inDocs = inside(docsRoot, file)
    for (const link of extractLinks(readFileSync(file, 'utf8'))) {
      const problem = (message: string) => problems.push({ file, line: link.line, message })
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target) || link.target.startsWith('//')) continue // external
      const hash = link.target.indexOf('#')
      const path = decodeURI(hash === -1 ? link.target : link.target.slice(0, hash))
      const anchor = hash === -1 ? undefined : decodeURIComponent(link.target.slice(hash + 1))
      let target: string
      if (path === '') target = file
      else if (path.startsWith('/')) target = join(inDocs ? docsRoot : root, path)
      else target = resolve(dirname(file), path)
      if (inDocs && !inside(docsRoot, target)) {
        problem(
          `link ${link.target} leaves the docs site (docs/): VitePress cannot serve it; link to the repository instead`,
        )
        continue
      }
      if (inside(apiRoot, target) && !existsSync(apiRoot)) {
        skipped++
        continue
      }
      const candidates =
        path.endsWith('/') || path === ''
          ? [target, join(target, 'index.md')]
          : [target, `${target}.md`, join(target, 'index.md')]
      if (inDocs && path.startsWith('/')) candidates.push(join(docsRoot, 'public', path)) // VitePress's public folder
      const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile())
      if (!found) {
        problem(`link ${link.target}: no such file ${relative(root, target)}`)
        continue
      }
      if (anchor !== undefined && anchor !== '' && extname(found) === '.md' && !anchors(found).has(anchor)) {
        problem(`link ${link.target}: no heading #${anchor} in ${relative(root, found)}`)
      }
    }
  }
  return { problems, skipped }
}

function main(): void {
  const args = process.argv.slice(2)
  const files = markdownFiles(args.length > 0 ? args : [join(root, 'README.md'), docsRoot])
  const snippets = files.flatMap((file) => extractSnippets(file, readFileSync(file, 'utf8')))
  const snippetProblems = checkSnippets(snippets)
  const { problems: linkProblems, skipped } = checkLinks(files)
  const problems = [...snippetProblems, ...linkProblems]
  for (const p of problems) console.error(`${relative(process.cwd(), p.file)}:${p.line}: ${p.message}`)
  const note = skipped > 0 ? `; ${skipped} links into the API reference not checked (run npm run docs:api first)` : ''
  console.log(
    `check-snippets: ${files.length} Markdown files, ${snippets.length} TypeScript snippets (${snippetProblems.length} problems), links (${linkProblems.length} problems)${note}`,
  )
  if (problems.length > 0) process.exit(1)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
