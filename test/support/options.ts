/**
 * Options of a test laid over a base: the `jwks` and `advanced` groups are merged one level deep,
 * so `{ jwks: { cooldown: 0 } }` keeps the base's `jwks.url`. `staticKeys` is replaced whole.
 */
export function withOptions<T extends object>(base: T, extra: object): T {
  const merged = { ...base, ...extra } as Record<string, unknown>
  for (const group of ['jwks', 'advanced'] as const) {
    const a = (base as Record<string, unknown>)[group]
    const b = (extra as Record<string, unknown>)[group]
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) merged[group] = { ...a, ...b }
  }
  return merged as T
}
