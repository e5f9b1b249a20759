/**
 * The import graph of src/, as dependency-cruiser checks it (`npm run check:imports`): no cycles,
 * and layers that point one way. From the bottom up:
 *
 * - the core: verifying a token (verifier.ts, errors.ts, options.ts, hooks.ts and parse/, keys/,
 *   claims/, session/, cache/, revocation/, signature/, health/, util/, elevated/, one-time/). It knows nothing of HTTP, telemetry,
 *   frameworks, Redis, webhooks or the testing kit.
 * - http/: authentication of a request over a verifier; it knows no framework adapter, no CLI and
 *   not the testing kit.
 * - everything else (adapters/, observability/, redis/, webhooks/, cli/, testing/) builds on those.
 *
 * The testing kit (testing/) is for the package's users' tests: only the CLI (its `dev` server)
 * and the kit itself import it.
 *
 * Type-only imports count: a core that names an HTTP type is as coupled to it as one that calls it.
 */
const core =
  '^src/(verifier\\.ts|errors\\.ts|options\\.ts|hooks\\.ts|(parse|keys|claims|session|cache|revocation|signature|health|util|elevated|one-time)/)'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'A cycle of imports: the modules in it cannot be understood, tested or loaded one at a time. Move what both sides need into a module that each imports.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-no-upper-layer',
      comment:
        'The verification core imports up into a layer built on it (HTTP, adapters, telemetry, testing, CLI, Redis, webhooks). Pass what it needs in (an option, a hook the upper layer sets), or move the code up.',
      severity: 'error',
      from: { path: core },
      to: { path: '^src/(http|adapters|observability|testing|cli|redis|webhooks)/' },
    },
    {
      name: 'http-imports-no-adapter',
      comment: 'src/http/ is what every adapter shares: it may not import an adapter, the CLI or the testing kit.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/(adapters|testing|cli)/' },
    },
    {
      name: 'testing-kit-only-for-tests',
      comment:
        "The testing kit is for users' tests: nothing the package runs in production may import it (the CLI's dev server excepted).",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(testing|cli)/' },
      to: { path: '^src/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
}
