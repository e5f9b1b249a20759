// The live metrics panel: reads the API's Prometheus endpoint (GET /metrics) and its health check
// (GET /healthz), and shows verifications, refusals by code, the cache hit rate and the JWKS
// state. Refreshed every 2 s, right after any button on the page is pressed, and when the
// server's answer changes.
'use strict'
;(() => {
  const style = document.createElement('style')
  style.textContent = `
    .metric-tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; margin: 8px 0 12px; }
    .metric-tile { border: 1px solid var(--line, #e5e7eb); border-radius: 8px; padding: 8px 10px; display: flex; flex-direction: column; gap: 2px; }
    .metric-tile strong { font-size: 18px; font-variant-numeric: tabular-nums; }
    .metric-label { font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .05em; color: var(--muted, #6b7280); }
    .metric-codes td:last-child, .metric-codes th:last-child { text-align: right; font-variant-numeric: tabular-nums; }
    .metric-codes th { text-align: left; font-size: 12px; color: var(--muted, #6b7280); }
    #metrics-health[data-status="ok"] { color: var(--ok, #047857); }
    #metrics-health[data-status="degraded"] { color: #b45309; }
    #metrics-health[data-status="unavailable"] { color: var(--bad, #b91c1c); }
  `
  document.head.append(style)

  /** Parses Prometheus text: [{ name, labels, value }]. */
  function parsePrometheus(text) {
    const samples = []
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line)
      if (!match) continue
      const labels = {}
      for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
        labels[key] = value
      samples.push({ name: match[1], labels, value: Number(match[3]) })
    }
    return samples
  }

  const sum = (samples, name, where = {}) =>
    samples
      .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
      .reduce((total, s) => total + s.value, 0)

  const $ = (id) => document.getElementById(id)

  async function refresh() {
    try {
      const [metricsResponse, healthResponse] = await Promise.all([
        fetch('/metrics', { cache: 'no-store' }),
        fetch('/healthz', { cache: 'no-store' }),
      ])
      const samples = parsePrometheus(await metricsResponse.text())
      const health = await healthResponse.json()
      const verifications = 'dynamic_guard_verifications_total'
      $('metric-verified').textContent = String(sum(samples, verifications, { dynamic_guard_outcome: 'verified' }))
      $('metric-refused').textContent = String(sum(samples, verifications, { dynamic_guard_outcome: 'refused' }))
      const hits = sum(samples, 'dynamic_guard_token_cache_lookups_total', { dynamic_guard_cache_result: 'hit' })
      const misses = sum(samples, 'dynamic_guard_token_cache_lookups_total', { dynamic_guard_cache_result: 'miss' })
      $('metric-hit-rate').textContent = hits + misses === 0 ? '—' : `${Math.round((hits / (hits + misses)) * 100)} %`
      // State and key count from one answer (the health check's): the metrics gauge may not have
      // been observed yet when the keys were just fetched, and would read 0 beside "fresh".
      const { state, keys, ageSeconds } = health.keys ?? {}
      $('metric-jwks').textContent =
        state === 'not_loaded' || state === undefined
          ? 'not fetched yet'
          : typeof keys === 'number'
            ? `${state}, ${keys} key${keys === 1 ? '' : 's'}`
            : state
      $('metric-jwks').title =
        `${typeof ageSeconds === 'number' ? `Fetched ${Math.round(ageSeconds)} s ago` : 'Not fetched yet'}; fetches: ${
          samples
            .filter((s) => s.name === 'dynamic_guard_jwks_fetches_total')
            .map((s) => `${s.labels.dynamic_guard_jwks_result} ${s.value}`)
            .join(', ') || 'none'
        }`
      const badge = $('metrics-health')
      badge.textContent = `health: ${health.status}`
      badge.dataset.status = health.status
      const byCode = new Map()
      for (const s of samples) {
        if (s.name !== verifications || s.labels.dynamic_guard_outcome !== 'refused') continue
        byCode.set(s.labels.error_type, (byCode.get(s.labels.error_type) ?? 0) + s.value)
      }
      const rows = [...byCode].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])
      const body = $('metric-codes')
      if (rows.length === 0) return
      body.replaceChildren(
        ...rows.map(([code, n]) => {
          const tr = document.createElement('tr')
          tr.dataset.code = code
          const name = document.createElement('td')
          name.append(Object.assign(document.createElement('code'), { textContent: code }))
          const count = Object.assign(document.createElement('td'), { textContent: String(n) })
          tr.append(name, count)
          return tr
        }),
      )
    } catch {
      // The next refresh tries again.
    }
  }

  // Any button may send a request to the API: refresh once it has had time to answer.
  document.addEventListener('click', (event) => {
    if (!(event.target instanceof Element) || !event.target.closest('button')) return
    setTimeout(refresh, 300)
    setTimeout(refresh, 1200)
  })
  // And as soon as the server's answer changes (a sign-in calls the API without a click of its
  // own), so that the counters agree with the answer in view.
  const answer = document.getElementById('answer-status')
  if (answer)
    new MutationObserver(() => void refresh()).observe(answer, { childList: true, characterData: true, subtree: true })
  refresh()
  setInterval(refresh, 2000)
})()
