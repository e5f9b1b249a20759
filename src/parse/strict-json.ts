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
  // Fast path (the common case, one pass): no backslash means no escape sequence can hide a
  // `__proto__` name; then a member count taken from the text that matches the parsed value's
  // means JSON.parse dropped no duplicate member.
  if (text.indexOf('\\') < 0 && !text.includes('__proto__')) {
    const members = membersWithinDepth(text) // first: countMembers recurses, so depth is bounded before it runs
    if (members >= 0 && members === countMembers(value)) return { value: value as Record<string, unknown> }
  }
  const problem = scanMembers(text)
  return problem ? { reason: problem } : { value: value as Record<string, unknown> }
}

/**
 * For escape-free JSON text: the number of members (each has exactly one `:` outside strings),
 * or -1 when nesting exceeds {@link MAX_JSON_DEPTH}. Strings are skipped with indexOf, so most of
 * the text is never looked at character by character.
 */
function membersWithinDepth(text: string): number {
  let depth = 0
  let members = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      i = text.indexOf('"', i + 1)
      if (i < 0) return -1
    } else if (c === 58 /* : */) members++
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > MAX_JSON_DEPTH) return -1
    } else if (c === 125 || c === 93) depth--
  }
  return members
}

/** Members of a parsed JSON value, nested ones included. Depth is already bounded by the caller. */
function countMembers(value: object): number {
  let count = 0
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null) count += countMembers(item)
    return count
  }
  for (const key in value) {
    count++
    const item = (value as Record<string, unknown>)[key]
    if (typeof item === 'object' && item !== null) count += countMembers(item)
  }
  return count
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
