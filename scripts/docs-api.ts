/**
 * Generates the API reference (docs/api/) from the TSDoc in src/, with TypeDoc,
 * typedoc-plugin-markdown and typedoc-vitepress-theme: one section per subpath export of
 * package.json, named as users import it ('dynamic-guard', 'dynamic-guard/express', …).
 *
 * The entry points are not listed here: each public subpath of package.json "exports" is mapped
 * to its source file through the `entries` of tsup.config.ts, so a new export gets its section
 * without touching this script. Warnings fail the run (treatWarningsAsErrors).
 *
 * Usage: node --import tsx scripts/docs-api.ts
 *
 * With `--check` (npm run check:docs), nothing is written: the project is converted and
 * validated, and every public name without TSDoc is an error (TypeDoc's `notDocumented`
 * validation). The names listed in etc/undocumented.txt, the ones still waiting for their comment,
 * are let through; a listed name that is documented now, or gone, is only reported, so the list
 * can shrink to empty and be deleted. `--check --prune` removes those names from the list (and the
 * file once it is empty); it never adds one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Application, Comment, ReflectionKind } from 'typedoc'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const out = resolve(root, 'docs/api')

/** A public subpath of the package: how it is imported, and where its source and types are. */
export interface ApiEntryPoint {
  /** The subpath as package.json "exports" spells it: '.', './express', … */
  readonly subpath: string
  /** The import specifier: 'dynamic-guard', 'dynamic-guard/express', … */
  readonly name: string
  /** The tsup entry: 'index', 'express', … */
  readonly entry: string
  /** The source file under src/. */
  readonly source: string
  /** The declaration file that "exports" gives ESM importers: './dist/express.d.ts', … */
  readonly types: string
}

/** The public subpaths and their source files: package.json "exports" × tsup.config.ts entries. */
export function apiEntryPoints(): ApiEntryPoint[] {
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
    name: string
    exports: Record<string, unknown>
  }
  const tsup = readFileSync(resolve(root, 'tsup.config.ts'), 'utf8')
  const block = /const entries[^=]*=\s*\{([^}]*)\}/.exec(tsup)?.[1]
  if (!block) throw new Error('tsup.config.ts: no `const entries = { … }` found')
  const sources = new Map([...block.matchAll(/'?([\w-]+)'?\s*:\s*'([^']+)'/g)].map((m) => [m[1]!, m[2]!]))
  const typesOf = (condition: unknown): string | undefined => {
    if (typeof condition !== 'object' || condition === null) return undefined
    const record = condition as Record<string, unknown>
    if (typeof record.types === 'string') return record.types
    for (const key of ['import', 'node', 'default']) {
      const found = typesOf(record[key])
      if (found) return found
    }
    return undefined
  }
  const found: ApiEntryPoint[] = []
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typesOf(target)
    if (!types) continue // ./package.json
    const entry = /^\.\/dist\/(.+)\.d\.ts$/.exec(types)?.[1]
    const source = entry === undefined ? undefined : sources.get(entry)
    if (!source) throw new Error(`package.json exports ${subpath}: no tsup entry for ${types}`)
    found.push({
      subpath,
      name: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      entry: entry!,
      source,
      types,
    })
  }
  return found
}

/** The public names still without TSDoc that `--check` lets through, one `Name (Kind)` a line. */
const undocumentedList = resolve(root, 'etc/undocumented.txt')

async function main(): Promise<void> {
  const check = process.argv.includes('--check')
  const entries = apiEntryPoints()
  // The project's tsconfig, limited to src/: the reference documents the package, and work in
  // progress under test/ or bench/ must not hold it up.
  const tsconfig = resolve(root, '.tmp/tsconfig.docs-api.json')
  mkdirSync(dirname(tsconfig), { recursive: true })
  writeFileSync(tsconfig, JSON.stringify({ extends: '../tsconfig.json', include: ['../src'] }))
  const app = await Application.bootstrapWithPlugins({
    entryPoints: entries.map((entry) => resolve(root, entry.source)),
    entryPointStrategy: 'resolve',
    tsconfig,
    plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
    out,
    // typedoc-vitepress-theme: links and the sidebar relative to the VitePress root.
    docsRoot: resolve(root, 'docs'),
    sidebar: { autoConfiguration: true, format: 'vitepress', pretty: true, collapsed: true },
    readme: 'none',
    name: 'API reference',
    excludePrivate: true,
    excludeInternal: true,
    excludeExternals: true,
    disableSources: true,
    githubPages: false,
    hidePageHeader: true,
    hideBreadcrumbs: true,
    useCodeBlocks: true,
    parametersFormat: 'table',
    interfacePropertiesFormat: 'table',
    typeDeclarationFormat: 'table',
    classPropertiesFormat: 'table',
    enumMembersFormat: 'table',
    sort: ['source-order'],
    treatWarningsAsErrors: true,
    // DOCS_NOT_DOCUMENTED=1 lists every public member without TSDoc (an audit, not a gate).
    validation: {
      notExported: false,
      invalidLink: true,
      rewrittenLink: true,
      notDocumented: check || process.env.DOCS_NOT_DOCUMENTED === '1',
      unusedMergeModuleWith: true,
    },
    logLevel: 'Warn',
  } as Parameters<typeof Application.bootstrapWithPlugins>[0])

  const project = await app.convert()
  if (!project) throw new Error('TypeDoc could not convert the project')
  // Name each module as it is imported ('dynamic-guard/express'), not by its path under src/
  // ('adapters/express'), which is TypeDoc's default name for it.
  const byDefaultName = new Map(
    entries.map((entry) => [entry.source.replace(/^src\//, '').replace(/(\/index)?\.ts$/, ''), entry.name]),
  )
  for (const module of project.getChildrenByKind(ReflectionKind.Module)) {
    const name = byDefaultName.get(module.name)
    if (!name) throw new Error(`TypeDoc module ${module.name} matches no subpath export`)
    module.name = name
    // An @example without a code fence runs to the comment's end in TypeDoc, so a trailing
    // `@packageDocumentation` modifier would be printed as the example's last line.
    for (const tag of module.comment?.blockTags ?? []) {
      for (const part of tag.content) part.text = part.text.replace(/\n+@packageDocumentation\s*(?=\n```$)/, '')
    }
  }
  if (check) {
    const listed = existsSync(undocumentedList)
      ? readFileSync(undocumentedList, 'utf8')
          .split('\n')
          .filter((line) => line.trim() && !line.startsWith('#'))
      : []
    const waiting = new Set(listed)
    const seen = new Set<string>()
    const missing: string[] = []
    const warn = app.logger.validationWarning.bind(app.logger) as (text: string) => void
    // "<name> (<Kind>), defined in <file>, does not have any documentation": a listed name passes.
    app.logger.validationWarning = ((text: string) => {
      const name = /^(.+? \(\w+\)), defined in .*does not have any documentation$/.exec(text)?.[1]
      if (name !== undefined && waiting.has(name)) seen.add(name)
      else {
        if (name !== undefined) missing.push(name)
        warn(text)
      }
    }) as typeof app.logger.validationWarning
    app.validate(project)
    const done = listed.filter((name) => !seen.has(name))
    if (done.length > 0 && process.argv.includes('--prune')) {
      // Only ever shrinks the list: a name without TSDoc that is not listed stays an error.
      const header = readFileSync(undocumentedList, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('#'))
      const kept = listed.filter((name) => seen.has(name))
      if (kept.length === 0) rmSync(undocumentedList)
      else writeFileSync(undocumentedList, `${[...header, ...kept].join('\n')}\n`)
      console.log(
        `${relative(root, undocumentedList)}: ${done.length} names documented now or gone, removed; ${kept.length} left`,
      )
    } else if (done.length > 0) {
      console.log(
        `${relative(root, undocumentedList)}: ${done.length} names are documented now or gone (--prune removes them):\n  ${done.join('\n  ')}`,
      )
    }
    if (missing.length > 0)
      console.error(`\n${missing.length} public names have no TSDoc comment: write one (a sentence on what it is for).`)
    if (app.logger.hasErrors() || app.logger.hasWarnings()) throw new Error('TypeDoc reported problems (see above)')
    const rest = seen.size > 0 ? `, but for the ${seen.size} still listed in ${relative(root, undocumentedList)}` : ''
    console.log(`API documentation: every public name of ${entries.length} entry points has TSDoc${rest}`)
    return
  }
  app.validate(project)
  if (app.logger.hasErrors() || app.logger.hasWarnings()) throw new Error('TypeDoc reported problems (see above)')
  rmSync(out, { recursive: true, force: true })
  await app.generateOutputs(project)
  if (app.logger.hasErrors() || app.logger.hasWarnings()) throw new Error('TypeDoc reported problems (see above)')
  const repaired = repairAnchors(out)
  if (repaired > 0) console.log(`API reference: ${repaired} links pointed at their anchor's kebab-case form; repaired`)

  // The reference's home: the subpaths in package.json order, each with its summary.
  const summaries = new Map(
    project.getChildrenByKind(ReflectionKind.Module).map((module) => {
      const text = Comment.combineDisplayParts(module.comment?.summary ?? [])
        .replace(/\s+/g, ' ')
        .trim()
      // "dynamic-guard/koa (Koa 2 and 3)." → "Koa 2 and 3"; "`dynamic-guard/redis`: run a fleet … ." → "run a fleet …"
      const named = /^`?dynamic-guard[\w/-]*`?\s*(?:\(([^)]*)\))?\s*[:.]?\s*(.*)$/.exec(text)
      const rest = named ? named[2] || named[1] || '' : text
      const sentence = (/^(.*?)[.:](\s|$)/.exec(rest)?.[1] ?? rest).trim()
      return [module.name, sentence.charAt(0).toUpperCase() + sentence.slice(1).replace(/\|/g, '\\|')]
    }),
  )
  const rows = entries.map((entry) => {
    const folder = entry.name.replace(/^[^/]+/, '') // '' for the root, '/express', ...
    return `| [\`${entry.name}\`](./dynamic-guard${folder}/index.md) | ${summaries.get(entry.name) ?? ''} |`
  })
  writeFileSync(
    resolve(out, 'index.md'),
    `# API reference\n\nGenerated from the TSDoc comments of the source, one section per entry point of the package.\n\n| import | |\n|---|---|\n${rows.join('\n')}\n`,
  )
  console.log(`API reference: ${entries.length} modules → ${relative(root, out)}/`)
}

/**
 * typedoc-plugin-markdown names a property's anchor after the property (`property-environment_id`)
 * but links to it in kebab case (`#property-environment-id`), so every link to a snake_case claim
 * lands nowhere. Rewrites each link whose anchor is missing from its target page to the one anchor
 * of that page with the same kebab-case form. Returns how many links it rewrote.
 */
function repairAnchors(folder: string): number {
  const pages = markdownFiles(folder)
  const anchorsOf = new Map(
    pages.map((page) => [
      page,
      [...readFileSync(page, 'utf8').matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]!),
    ]),
  )
  const kebab = (anchor: string) => anchor.toLowerCase().replace(/[_\s]+/g, '-')
  let repaired = 0
  for (const page of pages) {
    const text = readFileSync(page, 'utf8')
    const next = text.replace(/\]\(([^)#\s]*\.md)#([^)\s]+)\)/g, (link, target: string, anchor: string) => {
      const anchors = anchorsOf.get(resolve(dirname(page), target))
      if (!anchors || anchors.includes(anchor)) return link
      const same = anchors.filter((candidate) => kebab(candidate) === kebab(anchor))
      if (same.length !== 1) return link
      repaired++
      return `](${target}#${same[0]})`
    })
    if (next !== text) writeFileSync(page, next)
  }
  return repaired
}

function markdownFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = resolve(folder, entry.name)
    return entry.isDirectory() ? markdownFiles(path) : entry.name.endsWith('.md') ? [path] : []
  })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  })
}
