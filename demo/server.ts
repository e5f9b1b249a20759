/**
 * `npm start`: runs the demo on PORT (default 3000; 0 picks a free port) until Ctrl-C.
 * No configuration and no network: the Dynamic it talks to is the local one (the emulator), and
 * the page signs in through Dynamic's own client, bundled when the demo starts.
 */
import { startDemo } from './app.js'

const rawPort = process.env.PORT ?? '3000'
if (!/^\d+$/.test(rawPort) || Number(rawPort) > 65535) {
  console.error(`PORT must be a port number (0 picks a free one); got ${JSON.stringify(rawPort)}.`)
  process.exit(2)
}

try {
  const demo = await startDemo({ port: Number(rawPort), ...(process.env.HOST ? { host: process.env.HOST } : {}) })
  console.log(`dynamic-guard demo running at ${demo.url}`)
  console.log(`  protected API (Express adapter) in front of a local Dynamic, environment ${demo.environmentId}`)
  console.log(
    `  local Dynamic: ${demo.emulatorServer.apiBaseUrl} (Dynamic's client on the page, cookie mode), JWKS ${demo.emulatorServer.jwksUrl}`,
  )
  console.log(`  email codes: ${demo.emulatorServer.otpUrl}?email=<address>`)
  console.log('Press Ctrl-C to stop.')
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130) // a second Ctrl-C: leave at once
    stopping = true
    void demo.close().then(() => console.log(`Demo stopped (${signal}).`))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code
  console.error(
    code === 'EADDRINUSE'
      ? `Port ${rawPort} is in use. Try PORT=0 npm start (any free port).`
      : `The demo could not start: ${(error as Error).message}`,
  )
  process.exit(1)
}
