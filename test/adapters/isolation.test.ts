/**
 * Importing one adapter never loads another framework: every runtime import reachable from an
 * adapter module (type-only imports are erased) is ours, a node: builtin, or that adapter's own
 * framework.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')

const OWN_FRAMEWORK: Record<string, readonly string[]> = {
  express: [],
  fastify: ['fastify-plugin'],
  hono: ['hono/http-exception'],
  koa: [],
  next: [],
  fetch: [],
}

/** Runtime module specifiers of a TypeScript source: compiled as the build does (type-only imports erased), then scanned. */
function runtimeImports(source: string): string[] {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  })
  return ts.preProcessFile(outputText, true, true).importedFiles.map((file) => file.fileName)
}

function reachable(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else if (!specifier.startsWith('node:')) packages.add(specifier)
    }
  }
  visit(entry)
  return { files, packages }
}

describe('adapter isolation', () => {
  for (const [adapter, allowed] of Object.entries(OWN_FRAMEWORK)) {
    it(`dynamic-guard/${adapter} loads no other framework`, () => {
      const { files, packages } = reachable(resolve(SRC, `adapters/${adapter}.ts`))
      assert.ok(files.size > 3, 'the import graph was followed')
      assert.deepEqual([...packages].sort(), [...allowed].sort())
    })
  }

  it('the core loads no framework', () => {
    assert.deepEqual([...reachable(resolve(SRC, 'index.ts')).packages], [])
  })
})
