#!/usr/bin/env node
/**
 * The `dynamic-guard` command: verify, decode, jwks, dev, mint. See `dynamic-guard --help`.
 */
import { readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { main } from './main.js'
import type { Io } from './usage.js'

function packageVersion(): string {
  // The running script (dist/cli.js, or src/cli/index.ts) sits one or two folders below
  // package.json. Found through argv, not import.meta, so that the CommonJS build works too.
  const script = process.argv[1]
  if (!script) return 'unknown'
  let dir: string
  try {
    dir = dirname(realpathSync(script))
  } catch {
    return 'unknown'
  }
  for (const up of ['..', '../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, up, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'dynamic-guard' && pkg.version) return pkg.version
    } catch {
      // not there; try the next
    }
  }
  return 'unknown'
}

const io: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length
      chunks.push(chunk as Buffer)
      if (size > 1024 * 1024 + 1) break
    }
    return Buffer.concat(chunks).toString('utf8')
  },
  env: process.env,
  stopSignal: () =>
    new Promise((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        resolve(signal)
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    }),
}

// No top-level await: the entry is also built as CommonJS.
void main(process.argv.slice(2), io, packageVersion()).then((code) => {
  // Let pending output drain, then leave even if a keep-alive socket lingers.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
})
