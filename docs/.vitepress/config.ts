import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type DefaultTheme } from 'vitepress'

const docs = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(resolve(docs, '../package.json'), 'utf8')) as {
  description: string
  exports: Record<string, unknown>
}

type Item = DefaultTheme.SidebarItem

/** A guide page, titled by its own `# Title`; left out while the page does not exist yet. */
function page(path: string, fallback: string): Item[] {
  const file = resolve(docs, `${path}.md`)
  if (!existsSync(file)) return []
  const title = /^# (.+)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.replace(/`/g, '').trim()
  return [{ text: title ?? fallback, link: `/${path}`.replace(/\/index$/, '/') }]
}

const guide: Item[] = [
  {
    text: 'Introduction',
    items: [
      ...page('guide/getting-started', 'Getting started'),
      ...page('guide/how-it-works', 'How verification works'),
    ],
  },
  {
    text: 'Frameworks',
    items: [
      ...page('guide/frameworks/index', 'The adapters'),
      ...page('guide/frameworks/express', 'Express'),
      ...page('guide/frameworks/fastify', 'Fastify'),
      ...page('guide/frameworks/hono', 'Hono'),
      ...page('guide/frameworks/koa', 'Koa'),
      ...page('guide/frameworks/next', 'Next.js'),
      ...page('guide/frameworks/fetch', 'Fetch runtimes'),
      ...page('guide/frameworks/node-http', 'node:http'),
      ...page('guide/answers', 'Answers to refused requests'),
    ],
  },
  {
    text: 'Keys and tokens',
    items: [
      ...page('guide/static-keys', 'Verifying with a static key'),
      ...page('guide/claims', 'Token claims'),
      ...page('guide/token-facts', 'Token facts'),
      ...page('guide/session-key', 'Requests signed with the session key'),
      ...page('guide/step-up', 'Step-up: elevated access tokens'),
    ],
  },
  {
    text: 'Testing',
    items: [...page('guide/testing', 'Testing'), ...page('guide/local-dynamic', 'Testing against a local Dynamic')],
  },
  {
    text: 'Production',
    items: [
      ...page('guide/fleet', 'Running a fleet'),
      ...page('guide/webhooks', 'Webhooks'),
      ...page('guide/observability', 'Observability'),
      ...page('guide/runtimes', 'Runtimes'),
      ...page('guide/security', 'Security model'),
      ...page('guide/benchmarks', 'Benchmarks'),
      ...page('guide/troubleshooting', 'Troubleshooting'),
    ],
  },
].filter((group) => group.items.length > 0)

/**
 * The API reference's sidebar, from the one typedoc-vitepress-theme writes (npm run docs:api).
 * TypeDoc files 'dynamic-guard/express' under 'dynamic-guard' (a name with a slash reads as a
 * path); here every subpath export is a section of its own, in package.json's order, the root
 * package first.
 */
function apiSidebar(): Item[] {
  const file = resolve(docs, 'api/typedoc-sidebar.json')
  if (!existsSync(file)) return []
  const tree = JSON.parse(readFileSync(file, 'utf8')) as Item[]
  const moduleLink = /^\/api\/dynamic-guard\/([^/]+)\/$/
  const rootItems: Item[] = []
  const modules = new Map<string, Item>()
  for (const item of tree.flatMap((top) => (top.link === undefined ? (top.items ?? []) : [top]))) {
    const name = moduleLink.exec(item.link ?? '')?.[1]
    if (name) modules.set(name, { ...item, text: `dynamic-guard/${name}` })
    else if (item.link === '/api/dynamic-guard/') rootItems.push(...(item.items ?? []))
    else rootItems.push(item)
  }
  for (const group of [...rootItems, ...modules.values()]) sortGroups(group)
  const order = Object.keys(pkg.exports).map((subpath) => subpath.slice(2))
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length)
  const sections = [...modules.entries()].sort(([a], [b]) => rank(a) - rank(b)).map(([, item]) => item)
  return [
    { text: 'API reference', link: '/api/' },
    { text: 'dynamic-guard', link: '/api/dynamic-guard/', collapsed: false, items: rootItems },
    ...sections,
  ]
}

/**
 * TypeDoc lists a module's members in source order, which in the sidebar reads as no order at all
 * (createDynamicAuth came last among the functions). Within each group (Functions, Interfaces...):
 * what an application starts from first (`create…`), then by name.
 */
function sortGroups(item: Item): void {
  const children = item.items
  if (!children) return
  if (children.every((child) => child.items === undefined)) {
    const first = (text = '') => (text.startsWith('create') ? 0 : 1)
    children.sort((a, b) => first(a.text) - first(b.text) || (a.text ?? '').localeCompare(b.text ?? ''))
  }
  for (const child of children) sortGroups(child)
}

export default defineConfig({
  title: 'dynamic-guard',
  description: pkg.description,
  lang: 'en-US',
  cleanUrls: true,
  lastUpdated: false,
  srcExclude: ['**/README.md'],
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  vite: {
    // The local search index is one chunk holding every page's text, loaded only when the search
    // box opens; it passed Vite's 500 kB warning as the guides and the API reference grew.
    build: { chunkSizeWarningLimit: 1500 },
  },
  markdown: {
    // PromQL (the observability guide's queries), which Shiki does not ship: a small grammar.
    languages: [
      {
        name: 'promql',
        scopeName: 'source.promql',
        patterns: [
          { match: '"[^"]*"', name: 'string.quoted.double.promql' },
          {
            match: '\\b(sum|rate|increase|histogram_quantile|by|without|avg|max|min|count)\\b',
            name: 'keyword.control.promql',
          },
          { match: '\\b[0-9]+(\\.[0-9]+)?[smhd]?\\b', name: 'constant.numeric.promql' },
        ],
      },
    ],
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started', activeMatch: '^/guide/' },
      { text: 'API', link: '/api/', activeMatch: '^/api/' },
    ],
    sidebar: { '/guide/': guide, '/api/': apiSidebar() },
    outline: { level: [2, 3] },
    search: { provider: 'local' },
  },
})
