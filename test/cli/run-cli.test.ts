/**
 * The hang guards of startCli and runCli: a child that never prints its ready line, or never exits,
 * fails the test with what it was doing (and is killed) instead of hanging the file until the
 * runner's limit. The children here are tiny Node scripts, under a short guard: one waits on its
 * event loop (a diagnostic report comes), one spins in a synchronous loop (none can).
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { runCli, startCli } from './run-cli.js'

/** Short, so that the test does not wait long; the children print their line at once. */
const GUARD_MS = 5_000

async function hangOf(script: string): Promise<{ message: string; signal: NodeJS.Signals | null }> {
  const run = startCli([], /never printed/, { name: 'never ready', argv: ['-e', script] }, GUARD_MS)
  const error = await run.started.then(
    () => assert.fail('the child printed no ready line, so startCli must not resolve'),
    (error: Error) => error,
  )
  return { message: error.message, signal: (await run.exited).signal }
}

describe('startCli and runCli: a child that never gets ready or never exits', { concurrency: 3 }, () => {
  test('waiting on its event loop: its report (stack, handles), output so far, and it is killed', async () => {
    const { message, signal } = await hangOf(
      "process.stdout.write('starting\\n'); process.stderr.write('a warning\\n'); setInterval(() => {}, 1 << 30)",
    )
    assert.match(message, /did not print its ready line \/never printed\/ within 5 s; killed it/)
    assert.match(message, /stdout so far:\nstarting\n/)
    assert.match(message, /stderr so far:\na warning\n/)
    assert.match(message, /diagnostic report \(Node writes it from the event loop/)
    assert.match(message, /JavaScript: /)
    assert.match(message, /active libuv handles that keep it alive:\n {4}timer\n/)
    if (process.platform === 'linux')
      assert.match(
        message,
        /main thread: S \(sleeping\), used \d+ CPU ticks in [\d.]+ s \(\d+% of a core\): mostly sleeping: it waits on something \(wchan \w+\)/,
      )
    assert.equal(signal, 'SIGKILL')
  })

  test('busy in a synchronous loop: no report, and the CPU ticks say it spins', async () => {
    const { message, signal } = await hangOf("process.stdout.write('spinning\\n'); for (;;) {}")
    assert.match(message, /stdout so far:\nspinning\n/)
    assert.match(
      message,
      /no diagnostic report within 3 s of SIGUSR2: the main thread never got back to its event loop/,
    )
    if (process.platform === 'linux')
      assert.match(
        message,
        /main thread: R \(running\), used \d+ CPU ticks in [\d.]+ s \(\d+% of a core\): busy: it spins/,
      )
    assert.equal(signal, 'SIGKILL')
  })

  test('runCli: a command that never exits is described and killed the same way', async () => {
    const error = await runCli([], {
      runner: {
        name: 'never exits',
        argv: ['-e', "process.stdout.write('waiting\\n'); setInterval(() => {}, 1 << 30)"],
      },
      guardMs: GUARD_MS,
    }).then(
      () => assert.fail('the child never exits, so runCli must not resolve'),
      (error: Error) => error,
    )
    assert.match(error.message, /did not exit within 5 s; killed it/)
    assert.match(error.message, /stdout so far:\nwaiting\n/)
    assert.match(error.message, /diagnostic report \(Node writes it from the event loop/)
  })
})
