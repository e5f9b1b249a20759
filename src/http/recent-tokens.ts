/**
 * A few recently seen tokens, compared by value: handing the verifier the equal string it saw
 * before makes a repeated token a cheaper cache lookup than a fresh string cut from a header
 * (why, in the benchmarks guide). Purely a speed-up: the verifier still runs every check on it.
 */
const SIZE = 8 // a power of two

export class RecentTokens {
  private readonly tokens: Array<string | undefined> = new Array<string | undefined>(SIZE).fill(undefined)
  private next = 0

  /** The equal token seen recently, or `token` itself, now remembered. */
  intern(token: string): string {
    const tokens = this.tokens
    for (let i = 0; i < SIZE; i++) {
      const seen = tokens[i]
      if (seen !== undefined && seen.length === token.length && seen === token) return seen
    }
    tokens[this.next] = token
    this.next = (this.next + 1) & (SIZE - 1)
    return token
  }
}
