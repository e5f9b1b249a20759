/**
 * The links of a built VitePress site, checked as a browser follows them: every internal link of
 * every page (the guides and the generated API reference alike) must lead to a page, and its
 * `#anchor` to an element with that id on the page as rendered.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

export interface BrokenLink {
  readonly page: string
  readonly href: string
  readonly why: string
}

function htmlPages(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name)
    return entry.isDirectory() ? htmlPages(path) : entry.name.endsWith('.html') ? [path] : []
  })
}

/** The broken internal links of the site built into `folder` (clean URLs: `/guide/x` → `guide/x.html`). */
export function brokenLinks(folder: string): { pages: number; links: number; broken: BrokenLink[] } {
  const pages = htmlPages(folder)
  const idsOf = new Map<string, Set<string>>()
  const ids = (page: string) => {
    let found = idsOf.get(page)
    if (!found)
      idsOf.set(
        page,
        (found = new Set([...readFileSync(page, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]!))),
      )
    return found
  }
  const broken: BrokenLink[] = []
  let links = 0
  for (const page of pages) {
    for (const match of readFileSync(page, 'utf8').matchAll(/<a\s[^>]*?href="([^"]+)"/g)) {
      const href = match[1]!.replace(/&amp;/g, '&')
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(href)) continue // another origin, mailto:, ...
      links++
      const hash = href.indexOf('#')
      const path = decodeURI(hash === -1 ? href : href.slice(0, hash))
      const anchor = hash === -1 ? '' : decodeURIComponent(href.slice(hash + 1))
      let target = page
      if (path !== '') {
        const base = path.startsWith('/') ? join(folder, path) : resolve(dirname(page), path)
        const found = [base, `${base}.html`, join(base, 'index.html')].find(
          (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
        )
        if (!found) {
          broken.push({ page: page.slice(folder.length), href, why: 'no such page' })
          continue
        }
        target = found
      }
      if (anchor !== '' && target.endsWith('.html') && !ids(target).has(anchor))
        broken.push({ page: page.slice(folder.length), href, why: `no element with id "${anchor}"` })
    }
  }
  return { pages: pages.length, links, broken }
}
