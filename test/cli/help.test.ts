import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { runCli, runners } from './run-cli.js'

const commands = ['verify', 'decode', 'jwks', 'dev', 'mint']
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version

for (const runner of runners) {
  describe(`help and dispatch, ${runner.name}`, { concurrency: 4 }, () => {
    test('--help lists every command, exit 0', async () => {
      const result = await runCli(['--help'], { runner })
      assert.equal(result.code, 0)
      for (const command of commands) assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'))
      assert.match(result.stdout, /Exit codes: 0 .*1 refused, 2 usage or network error/)
    })

    test('--version', async () => {
      const result = await runCli(['--version'], { runner })
      assert.equal(result.code, 0)
      assert.equal(result.stdout.trim(), version)
    })
  })
}

describe('help and dispatch', { concurrency: 4 }, () => {
  for (const command of commands) {
    test(`${command} --help and help ${command}: usage, exit 0`, async () => {
      const [flag, topic] = await Promise.all([runCli([command, '--help']), runCli(['help', command])])
      assert.equal(flag.code, 0)
      assert.match(flag.stdout, new RegExp(`^Usage: dynamic-guard ${command}`))
      assert.match(flag.stdout, /Exit codes?:/)
      assert.equal(topic.stdout, flag.stdout)
    })
  }

  test('no command: the help on stderr, exit 2', async () => {
    const result = await runCli([])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^Usage: dynamic-guard <command>/)
  })

  test('an unknown command: exit 2, naming the commands', async () => {
    const result = await runCli(['verfy', 'x'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /unknown command "verfy"\. Commands: verify, decode, jwks, dev, mint/)
    const topic = await runCli(['help', 'nope'])
    assert.equal(topic.code, 2)
  })
})
