/**
 * The headline cases (RSA-4096, cold: one at a time, and 64 in flight, every contender against
 * the floors) on the Node that runs this script, for `npm run bench` to show them on the active
 * LTS next to the oldest supported line it runs on itself. The rows' case ids end in `-node<major>`
 * and the section titles name the Node. The last stdout line is the JSON `bench/lib/script-case.ts`
 * reads.
 *
 *   runtimes/node_modules/node24/bin/node --import tsx bench/headline-node.ts [--quick]
 */
import { cold, inFlight64 } from './cases/library.js'
import { createBenchContext } from './lib/context.js'
import type { Row } from './lib/types.js'

const quick = process.argv.includes('--quick')
const major = process.versions.node.split('.')[0]
const rows: Row[] = []
const { ctx, fixtures } = createBenchContext({
  reps: 3,
  loopMs: quick ? 150 : 400,
  progress: (message) => console.log(`node ${process.versions.node}: ${message}`),
  rows,
})
const sections: Array<{ id: string; title: string; rows: Row[] }> = []
const notes: string[] = []
try {
  for (const benchCase of [cold, inFlight64]) {
    const result = await benchCase.run(ctx)
    const id = `${benchCase.id}-node${major}`
    const own = result.rows.map((r) => ({ ...r, case: id }))
    rows.push(...own)
    sections.push({ id, title: `${benchCase.title}, on Node ${process.versions.node}`, rows: own })
    notes.push(...(result.notes ?? []))
  }
} finally {
  for (const fixture of fixtures.values()) await fixture.then((fx) => fx.close())
}
console.log(JSON.stringify({ rows, sections, notes }))
