/**
 * Reads a Web-standard body (a Request's or a Response's) whole, up to a byte cap: the declared
 * Content-Length is checked first, then the bytes as they stream in. Runtime-neutral.
 */

/** Anything with Web headers and a body stream: a Request or a Response. */
export interface WebBodyMessage {
  readonly headers: Headers
  readonly body: ReadableStream<Uint8Array> | null
}

/**
 * The body's bytes, or `undefined` (and the stream cancelled) once it is declared or found to be
 * larger than `maxBytes`. Errors while reading (an abort, a reset) propagate to the caller.
 */
export async function readCappedBody(message: WebBodyMessage, maxBytes: number): Promise<Uint8Array | undefined> {
  if (Number(message.headers.get('content-length')) > maxBytes) {
    void message.body?.cancel().catch(() => undefined)
    return undefined
  }
  if (!message.body) return new Uint8Array(0)
  const reader = message.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      void reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
