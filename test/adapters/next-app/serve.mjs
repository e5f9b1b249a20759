// Runs `next dev` on this directory at 127.0.0.1, an ephemeral port, and prints `READY <port>`.
// A child process of the test, so that Next's watchers and workers end with it.
import { createServer } from 'node:http'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import next from 'next'

const dir = dirname(fileURLToPath(import.meta.url))
let handle
const server = createServer((req, res) => void handle(req, res))
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address()
  const app = next({ dev: true, dir, hostname: '127.0.0.1', port, quiet: true })
  await app.prepare()
  handle = app.getRequestHandler()
  process.stdout.write(`READY ${port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
