/**
 * JSON objects as a JWT verifier must read them: valid UTF-8, a plain object at the top, no
 * duplicate member names (parsers disagree on which one wins), no `__proto__` members (a later
 * `Object.assign` would turn one into a prototype) and bounded nesting.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Maximum nesting of arrays and objects in a header or claims set. */
export const MAX_JSON_DEPTH = 32

/** Parses UTF-8 bytes into a plain JSON object, or returns a reason it is not acceptable. */
export function parseJsonObject(bytes: Uint8Array): { value: Record<string, unknown> } | { reason: string } {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { reason: 'is not valid UTF-8' }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { reason: 'is not valid JSON' }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { reason: 'is not a JSON object' }
  }
  // Fast path: when re-serialising gives back the same text, no member was dropped (so no
  // duplicates) and no escape sequence could hide a `__proto__` key.
  if (!text.includes('__proto__') && JSON.stringify(value) === text && depthWithin(text)) {
    return { value: value as Record<string, unknown> }
  }
  const problem = scanMembers(text)
  return problem ? { reason: problem } : { value: value as Record<string, unknown> }
}

/** Cheap nesting bound for the fast path: counts brackets outside strings. */
function depthWithin(text: string): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 || c === 91) {
      if (++depth > MAX_JSON_DEPTH) return false
    } else if (c === 125 || c === 93) depth--
  }
  return true
}

/**
 * The slow, exact check for text JSON.parse already accepted: walks the structure, decoding each
 * member name, and reports duplicates, `__proto__` members and excessive depth.
 */
function scanMembers(text: string): string | undefined {
  const stack: Array<Set<string> | null> = [] // a Set per open object, null per open array
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      const start = i
      for (i++; text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++
      const top = stack[stack.length - 1]
      if (expectKey && top) {
        const name = JSON.parse(text.slice(start, i + 1)) as string
        if (name === '__proto__') return 'has a "__proto__" member'
        if (top.has(name)) return `has the member "${name.slice(0, 40)}" twice`
        top.add(name)
        expectKey = false
      }
    } else if (c === 123) {
      stack.push(new Set())
      if (stack.length > MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH} levels`
      expectKey = true
    } else if (c === 91) {
      stack.push(null)
      if (stack.length > MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH} levels`
    } else if (c === 125 || c === 93) {
      stack.pop()
    } else if (c === 44 /* , */) {
      expectKey = stack[stack.length - 1] != null
    }
  }
  return undefined
}
