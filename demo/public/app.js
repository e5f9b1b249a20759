// The demo page: signs in through the local Dynamic stand-in, calls the API and shows what happened.
// Plain browser JavaScript, no build step, no third-party code.
'use strict'

const state = { config: null, userKey: 'ada', signIn: null, bearerForm: 'access', busy: false }
const COLORS = { ada: '#4f46e5', grace: '#0e7490', satoshi: '#c2410c' }
const $ = (id) => document.getElementById(id)

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (name === 'text') node.textContent = value
    else if (name === 'class') node.className = value
    else node.setAttribute(name, value)
  }
  for (const child of children) node.append(child)
  return node
}

function shortId(value) {
  return typeof value === 'string' && value.length > 13 ? `${value.slice(0, 8)}…` : String(value)
}

function humanTime(seconds) {
  if (typeof seconds !== 'number') return ''
  const delta = Math.round(seconds - Date.now() / 1000)
  const abs = Math.abs(delta)
  const span = abs >= 3600 ? `${Math.floor(abs / 3600)} h ${Math.floor((abs % 3600) / 60)} min` : abs >= 60 ? `${Math.floor(abs / 60)} min` : `${abs} s`
  return `${new Date(seconds * 1000).toLocaleString()} · ${delta >= 0 ? `in ${span}` : `${span} ago`}`
}

async function init() {
  const response = await fetch('/demo/config')
  state.config = await response.json()
  $('env-id').textContent = state.config.environmentId
  renderUsers()
  $('sign-in').addEventListener('click', () => run(() => signIn({})))
  $('sign-out').addEventListener('click', () => run(signOut))
  $('call-public').addEventListener('click', () => run(() => call('/api/public', 'none')))
  $('call-me-bearer').addEventListener('click', () => run(() => call('/api/me', 'bearer')))
  $('call-me-cookie').addEventListener('click', () => run(() => call('/api/me', 'cookie')))
  const cases = { 'case-expired': { expired: true }, 'case-mfa': { mfaPending: true }, 'case-environment': { otherEnvironment: true }, 'case-tampered': { tampered: true } }
  for (const [id, variant] of Object.entries(cases)) {
    $(id).addEventListener('click', () => run(async () => {
      await signIn(variant)
      await call('/api/me', 'bearer')
    }))
  }
  for (const button of document.querySelectorAll('.segmented button')) {
    button.addEventListener('click', () => {
      state.bearerForm = button.dataset.form
      for (const other of document.querySelectorAll('.segmented button')) {
        other.classList.toggle('active', other === button)
        other.setAttribute('aria-checked', String(other === button))
      }
      if (state.signIn) void inspect(currentToken())
    })
  }
  document.body.dataset.ready = 'true'
}

function renderUsers() {
  const list = $('users')
  list.replaceChildren()
  for (const user of state.config.users) {
    const initials = user.name.split(' ').map((part) => part[0]).join('').slice(0, 2)
    const button = el('button', { type: 'button', class: 'user', role: 'radio', 'aria-checked': String(user.key === state.userKey), 'data-testid': `user-${user.key}` }, [
      el('span', { class: 'avatar', style: `background:${COLORS[user.key] ?? '#334155'}`, text: initials }),
      el('span', { class: 'who' }, [el('strong', { text: user.name }), el('span', { text: user.description })]),
    ])
    button.addEventListener('click', () => {
      state.userKey = user.key
      renderUsers()
    })
    list.append(button)
  }
}

async function run(action) {
  if (state.busy) return
  state.busy = true
  for (const button of document.querySelectorAll('main button')) button.disabled = true
  try {
    await action()
  } catch (error) {
    showAnswer({ status: 0, statusText: 'Network error', request: String(error), challenge: null, body: '' })
  } finally {
    state.busy = false
    for (const button of document.querySelectorAll('main button')) button.disabled = false
    $('sign-out').disabled = !state.signIn
  }
}

function currentUser() {
  return state.config.users.find((user) => user.key === state.userKey)
}

function currentToken() {
  if (!state.signIn) return null
  return state.bearerForm === 'id' ? state.signIn.jwt : state.signIn.minifiedJwt
}

async function signIn(variant) {
  const user = currentUser()
  const response = await fetch(state.config.signInPath, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: user.sub, profile: user.profile, credentials: user.credentials, ...variant }),
  })
  if (!response.ok) throw new Error(`Sign-in failed: HTTP ${response.status}`)
  state.signIn = await response.json()
  const labels = { expired: 'an expired token', mfaPending: 'an MFA-pending token', otherEnvironment: "another environment's token", tampered: 'a tampered token' }
  const kind = Object.keys(variant).map((name) => labels[name]).filter(Boolean)[0]
  const line = $('session-line')
  line.className = `session ${kind ? 'muted' : 'on'}`
  line.textContent = `Signed in as ${user.name}${kind ? `, holding ${kind}` : ''} · session ${shortId(state.signIn.user.sessionId)}`
  await inspect(currentToken())
}

async function signOut() {
  await fetch(state.config.signOutPath, { method: 'POST', credentials: 'same-origin' })
  state.signIn = null
  const line = $('session-line')
  line.className = 'session muted'
  line.textContent = 'Signed out: the cookie is cleared.'
  $('checks').replaceChildren(el('li', { class: 'empty muted', text: 'Sign in to see the checks.' }))
  $('claims').replaceChildren(el('tbody', {}, [el('tr', {}, [el('td', { class: 'muted', text: 'No token yet.' })])]))
  $('token-kind').textContent = '—'
  $('token-header').textContent = ''
  $('token-raw').textContent = ''
}

async function call(path, mode) {
  const headers = {}
  const token = currentToken()
  if (mode === 'bearer' && token) headers.authorization = `Bearer ${token}`
  // Bearer calls leave the cookie out so that each button shows one way of sending the token.
  const response = await fetch(path, { headers, credentials: mode === 'cookie' ? 'same-origin' : 'omit' })
  const text = await response.text()
  let body = text
  try {
    body = JSON.stringify(JSON.parse(text), null, 2)
  } catch {}
  const sentAs = mode === 'none' ? 'no token' : mode === 'bearer' ? (token ? `Authorization: Bearer <${state.bearerForm === 'id' ? 'ID token' : 'access token'}>` : 'no token (not signed in)') : 'the DYNAMIC_JWT_TOKEN cookie'
  showAnswer({ status: response.status, statusText: response.statusText, request: `GET ${path} with ${sentAs}`, challenge: response.headers.get('www-authenticate'), body })
}

function showAnswer({ status, statusText, request, challenge, body }) {
  const card = $('answer')
  card.dataset.state = status >= 200 && status < 300 ? 'ok' : 'refused'
  $('answer-status').textContent = status ? `${status} ${statusText}` : statusText
  const [method, path, ...rest] = request.split(' ')
  if (status) $('answer-request').replaceChildren(el('code', { text: `${method} ${path}` }), ` ${rest.join(' ')}`)
  else $('answer-request').textContent = request
  $('answer-challenge-row').hidden = !challenge
  $('answer-challenge').textContent = challenge ?? ''
  $('answer-body').textContent = body
}

async function inspect(token) {
  const response = await fetch('/demo/inspect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })
  const result = await response.json()
  const icons = { pass: '✓', fail: '✕', skip: '–' }
  $('checks').replaceChildren(
    ...result.checks.map((check) =>
      el('li', { 'data-check': check.id, 'data-status': check.status }, [
        el('span', { class: 'icon', text: icons[check.status], 'aria-label': check.status }),
        el('span', { class: 'label', text: check.label }),
        el('span', { class: 'detail', text: check.detail }),
      ]),
    ),
  )
  renderClaims(result.payload)
  $('token-kind').textContent = state.bearerForm === 'id' ? 'ID token' : 'Access token (minified JWT)'
  $('token-header').textContent = result.header ? JSON.stringify(result.header, null, 2) : ''
  $('token-raw').textContent = token
}

function renderClaims(payload) {
  const rows = []
  for (const [name, value] of Object.entries(payload ?? {})) {
    const cell = el('td', { text: typeof value === 'string' ? value : JSON.stringify(value) })
    if (['exp', 'iat', 'nbf'].includes(name)) cell.append(el('span', { class: 'when', text: humanTime(value) }))
    rows.push(el('tr', {}, [el('td', { text: name }), cell]))
  }
  $('claims').replaceChildren(el('tbody', {}, rows))
}

init().catch((error) => {
  showAnswer({ status: 0, statusText: 'Demo unavailable', request: `GET /demo/config failed: ${error}`, challenge: null, body: '' })
})
