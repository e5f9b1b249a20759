/**
 * A standalone bench script as a case: run in its own process, its output shown as progress.
 * If its last stdout line is JSON of the form `{"rows": Row[], "notes"?: string[]}`, those rows
 * join the results, table and chart (with `"sections"`, one table each); otherwise its output is
 * kept as notes. A script that is not there yet is skipped. `execPath` runs it on another Node.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BenchCase, CaseResult, Row } from './types.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export function scriptCase(
  id: string,
  title: string,
  path: string,
  timeoutMs = 90_000,
  execPath = process.execPath,
): BenchCase {
  return {
    id,
    title,
    async run(ctx): Promise<CaseResult> {
      const file = `${ROOT}${path}`
      if (!existsSync(file)) return { rows: [], notes: [`${path} is not present; skipped.`] }
      if (!existsSync(execPath))
        return { rows: [], notes: [`${execPath} is not installed (npm ci --prefix runtimes); skipped.`] }
      const lines: string[] = []
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
        let pending = ''
        child.stdout.on('data', (d: Buffer) => {
          pending += d
          const parts = pending.split('\n')
          pending = parts.pop()!
          for (const line of parts) {
            lines.push(line)
            if (!line.startsWith('{')) ctx.progress(line)
          }
        })
        child.stderr.on('data', (d: Buffer) => ctx.progress(d.toString().trimEnd()))
        child.on('error', reject)
        child.on('exit', (exitCode) => {
          clearTimeout(timer)
          if (pending) lines.push(pending)
          resolve(exitCode)
        })
      })
      if (code !== 0) return { rows: [], notes: [`${path} exited with ${code ?? 'a timeout'}.`] }
      const last = lines.filter((l) => l.trim()).pop() ?? ''
      try {
        const parsed = JSON.parse(last) as { rows?: Row[]; notes?: string[]; sections?: CaseResult['sections'] }
        if (Array.isArray(parsed.rows))
          return {
            rows: parsed.rows.map((r) => ({ ...r, case: r.case ?? id })),
            notes: parsed.notes ?? [],
            ...(parsed.sections && { sections: parsed.sections }),
          }
      } catch {
        // not JSON: keep the text
      }
      return { rows: [], notes: lines.filter((l) => l.trim()) }
    },
  }
}
