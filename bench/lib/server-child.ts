/**
 * The benchmark's HTTP servers run in child processes that print `READY <port>` once they listen.
 * This waits for that line: the port, or an error with the end of the child's stderr when it
 * exits or stays silent for 30 s.
 */
import type { ChildProcess } from 'node:child_process'

export function waitForReady(child: ChildProcess, label: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`${label} did not start: ${err.slice(-500)}`)), 30_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d
      const match = /READY (\d+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        child.removeListener('exit', exited)
        resolve(Number(match[1]))
      }
    })
    child.stderr!.on('data', (d: Buffer) => (err += d))
    function exited(code: number | null): void {
      clearTimeout(timer)
      reject(new Error(`${label} exited with ${code}: ${err.slice(-800)}`))
    }
    child.on('exit', exited)
  })
}
