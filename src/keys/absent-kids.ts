/**
 * Kids that a successful JWKS fetch showed are not published: keys removed by a rotation, and
 * kids made up by a client. A token naming one is refused from memory, without a fetch, until a
 * later fetch lists the kid. Bounded: the oldest entries go first, so a flood of made-up kids
 * costs memory in proportion to the bound, not to the flood.
 */
const MAX_ABSENT_KIDS = 1024

export interface AbsentKid {
  readonly at: number
  readonly refused?: string
}

export class AbsentKids {
  /** kid → when the fetch that showed it absent began (the key store's clock), and why. */
  private readonly kids = new Map<string, AbsentKid>()

  get(kid: string): AbsentKid | undefined {
    return this.kids.get(kid)
  }

  /** `refused`: the JWKS listed the kid, but its key was refused (the reason). */
  add(kid: string, at: number, refused?: string): void {
    this.kids.delete(kid) // re-inserted last: the newest confirmation is evicted last
    this.kids.set(kid, { at, ...(refused === undefined ? {} : { refused }) })
    if (this.kids.size > MAX_ABSENT_KIDS) this.kids.delete(this.kids.keys().next().value!)
  }

  delete(kid: string): void {
    this.kids.delete(kid)
  }
}
