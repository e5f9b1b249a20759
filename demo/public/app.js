// The demo page: signs in through Dynamic's own client (pointed at the local Dynamic), calls the
// API and shows what happened. Plain browser JavaScript; the one bundled module is the sign-in
// (build/sign-in.js: Dynamic's client, bundled from node_modules when the demo starts).
'use strict'

// signIn: the session Dynamic's client holds (token = client.token); pending: a code on its way.
// stepUp: a step-up code on its way (the export's second verification).
const state = {
  config: null,
  dynamic: null,
  signIn: null,
  pending: null,
  stepUp: null,
  bearerForm: 'access',
  busy: false,
}
const $ = (id) => document.getElementById(id)
const CASE_LABELS = {
  expired: 'an expired',
  mfaPending: 'an MFA-pending',
  otherEnvironment: "another environment's",
  tampered: 'a tampered',
}

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

// A claim's time next to now: "just now" within a few seconds (a token minted a moment ago has
// iat = now, rounded to the second), else "in …" for the future and "… ago" for the past.
function humanTime(seconds) {
  if (typeof seconds !== 'number') return ''
  const delta = Math.round(seconds - Date.now() / 1000)
  const abs = Math.abs(delta)
  const span =
    abs >= 3600
      ? `${Math.floor(abs / 3600)} h ${Math.floor((abs % 3600) / 60)} min`
      : abs >= 60
        ? `${Math.floor(abs / 60)} min`
        : `${abs} s`
  const relative = abs < 5 ? 'just now' : delta > 0 ? `in ${span}` : `${span} ago`
  return `${new Date(seconds * 1000).toLocaleString()} · ${relative}`
}

async function init() {
  const response = await fetch('/demo/config')
  state.config = await response.json()
  $('env-id').textContent = state.config.environmentId
  if (state.config.clientVersion)
    $('client-name').textContent = `@dynamic-labs-sdk/client ${state.config.clientVersion}`
  $('email-form').addEventListener('submit', (event) => {
    event.preventDefault()
    void run(sendCode)
  })
  $('code-form').addEventListener('submit', (event) => {
    event.preventDefault()
    void run(verifyCode)
  })
  $('sign-out').addEventListener('click', () => run(signOut))
  $('call-public').addEventListener('click', () => run(() => call('/api/public', 'none')))
  $('call-me-bearer').addEventListener('click', () => run(() => call('/api/me', 'bearer')))
  $('call-me-cookie').addEventListener('click', () => run(() => call('/api/me', 'cookie')))
  const cases = {
    'case-expired': { expired: true },
    'case-mfa': { mfaPending: true },
    'case-environment': { otherEnvironment: true },
    'case-tampered': { tampered: true },
  }
  for (const [id, variant] of Object.entries(cases)) {
    $(id).addEventListener('click', () =>
      run(async () => {
        const token = variant.otherEnvironment ? await otherEnvironmentToken() : await mintBrokenToken(variant)
        await call('/api/me', 'bearer', token, CASE_LABELS[Object.keys(variant)[0]])
      }),
    )
  }
  $('call-export').addEventListener('click', () => run(exportWallet))
  $('step-up-form').addEventListener('submit', (event) => {
    event.preventDefault()
    void run(verifyStepUp)
  })
  $('call-transfer-signed').addEventListener('click', () => run(() => transfer(true)))
  $('call-transfer-unsigned').addEventListener('click', () => run(() => transfer(false)))
  for (const button of document.querySelectorAll('.segmented button')) {
    button.addEventListener('click', () => {
      state.bearerForm = button.dataset.form
      for (const other of document.querySelectorAll('.segmented button')) {
        other.classList.toggle('active', other === button)
        other.setAttribute('aria-checked', String(other === button))
      }
      if (state.signIn && currentToken()) void run(() => showToken(currentToken()))
    })
  }
  await startClient()
  document.body.dataset.ready = 'true'
}

// Dynamic's client, created for the local Dynamic. In cookie mode a reload keeps the session: the
// client reads it back through the cookie while it initialises. First the test wallets are
// injected into the page, as browser extensions would be, for the client to find (EIP-6963).
async function startClient() {
  try {
    const { startSignIn, injectTestWallet } = await import('./build/sign-in.js')
    for (const wallet of state.config.testWallets ?? []) injectTestWallet(wallet)
    state.dynamic = await startSignIn({
      environmentId: state.config.environmentId,
      apiBaseUrl: state.config.apiBaseUrl,
    })
  } catch (error) {
    setSessionLine('error', `Dynamic's client could not start: ${error?.message ?? error}`)
    return
  }
  $('send-code').disabled = false
  renderWallets()
  state.signIn = state.dynamic.current()
  if (state.signIn) await showSignedIn()
  else
    setSessionLine(
      'muted',
      `Not signed in. Dynamic's client is ready${state.dynamic.cookieMode ? ' (cookie mode)' : ''}.`,
    )
}

// The wallets the client found: sign in with one, or, signed in, link another.
function renderWallets() {
  const wallets = state.dynamic?.wallets() ?? []
  if (wallets.length === 0) {
    $('wallets').replaceChildren(el('p', { class: 'muted small', text: 'No wallet announced itself to the page.' }))
    return
  }
  const linked = new Set((state.signIn?.credentials ?? []).map((credential) => credential.identifier.toLowerCase()))
  $('wallets').replaceChildren(
    ...wallets.map((wallet, index) => {
      const isLinked = wallet.address && linked.has(wallet.address.toLowerCase())
      const label = !state.signIn ? 'Sign in with wallet' : isLinked ? 'Linked' : 'Link wallet'
      const button = el('button', {
        type: 'button',
        class: state.signIn ? '' : 'primary',
        id: `wallet-${index}`,
        'data-key': wallet.key,
        text: label,
      })
      button.dataset.linked = String(Boolean(isLinked))
      button.addEventListener('click', () => run(() => verifyWallet(wallet)))
      return el('div', { class: 'wallet', 'data-address': wallet.address ?? '' }, [
        el('div', { class: 'wallet-id' }, [
          el('img', {
            src: 'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"%3E%3Ccircle cx="16" cy="16" r="15" fill="%234f46e5"/%3E%3C/svg%3E',
            alt: '',
          }),
          el('div', {}, [el('strong', { text: wallet.name }), el('code', { text: wallet.address ?? '' })]),
        ]),
        button,
      ])
    }),
  )
}

// A wallet through Dynamic's client (connectAndVerifyWithWalletProvider): sign-in when signed out
// (POST wallets/signin), a link when signed in (POST verify/link). The decoded token switches to
// the ID token, which carries the verified credentials.
async function verifyWallet(wallet) {
  const linking = Boolean(state.signIn)
  try {
    state.signIn = await state.dynamic.verifyWallet(wallet.key)
  } catch (error) {
    setSessionLine('error', `The wallet was refused: ${describeError(error)}`)
    return
  }
  selectBearerForm('id')
  await showSignedIn(linking ? `Linked ${wallet.name}. ` : '')
}

async function unlinkWallet(credentialId) {
  try {
    state.signIn = await state.dynamic.unlinkWallet(credentialId)
  } catch (error) {
    setSessionLine('error', `Unlinking failed: ${describeError(error)}`)
    return
  }
  await showSignedIn('Unlinked a wallet. ')
}

function selectBearerForm(form) {
  state.bearerForm = form
  for (const other of document.querySelectorAll('.segmented button')) {
    other.classList.toggle('active', other.dataset.form === form)
    other.setAttribute('aria-checked', String(other.dataset.form === form))
  }
}

// The user's verified credentials, the last verified one marked; wallets can be unlinked while another credential remains.
function renderCredentials() {
  const credentials = state.signIn?.credentials ?? []
  $('credentials-box').hidden = credentials.length === 0
  $('credentials').replaceChildren(
    ...credentials.map((credential) => {
      const item = el(
        'li',
        {
          'data-format': credential.format,
          'data-identifier': credential.identifier,
          'data-last': String(credential.id === state.signIn.lastVerifiedCredentialId),
        },
        [
          el('span', {
            class: 'format',
            text: credential.format === 'blockchain' ? `wallet · ${credential.chain}` : credential.format,
          }),
          el('code', {
            text: credential.identifier,
            title: credential.walletName ? `wallet_name ${credential.walletName}` : '',
          }),
        ],
      )
      if (credential.format === 'blockchain' && credentials.length > 1) {
        const button = el('button', { type: 'button', class: 'ghost', 'data-unlink': credential.id, text: 'Unlink' })
        button.addEventListener('click', () => run(() => unlinkWallet(credential.id)))
        item.append(button)
      }
      return item
    }),
  )
}

function setSessionLine(kind, text) {
  const line = $('session-line')
  line.className = `session ${kind}`
  line.textContent = text
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
    $('send-code').disabled = !state.dynamic
    for (const button of document.querySelectorAll('#wallets button'))
      button.disabled = button.dataset.linked === 'true'
  }
}

// The token the Bearer button sends: Dynamic's client's access token, or the ID token it was handed.
function currentToken() {
  if (!state.signIn) return null
  return state.bearerForm === 'id' ? state.signIn.idToken : state.signIn.token
}

// Step 1: Dynamic's client sends the code (sendEmailOTP). No mail leaves the machine: the page
// shows the code the local Dynamic would have emailed, read from its /emulator/otp.
async function sendCode() {
  const email = $('email').value.trim()
  if (!$('email').checkValidity() || !email) {
    setSessionLine('error', 'Type an email address first.')
    return
  }
  state.pending = await state.dynamic.sendCode(email).catch((error) => {
    setSessionLine('error', `Sending the code failed: ${describeError(error)}`)
    return null
  })
  if (!state.pending) return
  const response = await fetch(`${state.config.otpUrl}?email=${encodeURIComponent(email)}`, { credentials: 'omit' })
  const { code } = response.ok ? await response.json() : { code: null }
  $('inbox-to').textContent = email
  $('inbox-code').textContent = code ?? '(not found)'
  $('inbox').hidden = false
  delete $('inbox').dataset.used
  $('code-form').hidden = false
  $('code').value = ''
  $('code').focus()
  setSessionLine('muted', `Code sent to ${email}. Type it below.`)
}

// Step 2: Dynamic's client verifies the code (verifyOTP) and holds the session: client.token, and
// the DYNAMIC_JWT_TOKEN cookie in cookie mode.
async function verifyCode() {
  if (!state.pending) {
    setSessionLine('error', 'Send a code first.')
    return
  }
  const code = $('code').value.trim()
  try {
    state.signIn = await state.dynamic.verifyCode(state.pending, code)
  } catch (error) {
    setSessionLine('error', `The code was refused: ${describeError(error)}`)
    return
  }
  state.pending = null
  $('inbox').dataset.used = 'true'
  $('code-form').hidden = true
  await showSignedIn()
}

async function showSignedIn(prefix = '') {
  const who =
    state.signIn.email ??
    (state.signIn.address
      ? `${state.signIn.address.slice(0, 6)}…${state.signIn.address.slice(-4)}`
      : shortId(state.signIn.userId))
  const cookie = state.dynamic.cookieMode
    ? document.cookie.split('; ').some((pair) => pair.startsWith('DYNAMIC_JWT_TOKEN='))
      ? ' · cookie set'
      : ' · no cookie'
    : ''
  renderWallets()
  renderCredentials()
  await showToken(currentToken())
  // Last: once the line says what happened, the checks and the answer already show the new token.
  setSessionLine(
    'on',
    `${prefix}Signed in as ${who} through Dynamic's client · session ${shortId(state.signIn.sessionId)}${cookie}`,
  )
}

// The checks and the server's answer always speak of the same token: a new session's token is
// inspected and sent to the protected API at once, so no earlier answer stays in view.
async function showToken(token) {
  if (!token) return
  await inspect(token)
  await call('/api/me', 'bearer', token)
}

// Who a minted failing-case token is for: the signed-in user (with their email), else Ada.
function signedInUser() {
  const ada = state.config.users[0]
  const email = state.signIn?.email
  if (!state.signIn) return { sub: ada.sub, profile: ada.profile, credentials: ada.credentials }
  return {
    sub: state.signIn.userId,
    ...(email
      ? {
          profile: { email },
          credentials: [{ id: crypto.randomUUID(), format: 'email', email, public_identifier: email }],
        }
      : {}),
  }
}

// A failing case: the local Dynamic's token endpoint mints a broken token for the signed-in user
// (or Ada). The answer's cookie is refused (credentials: 'omit') so the client's cookie stays.
async function mintBrokenToken(variant) {
  const user = signedInUser()
  const response = await fetch(state.config.signInPath, {
    method: 'POST',
    credentials: 'omit',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...user, ...variant }),
  })
  if (!response.ok) throw new Error(`The local Dynamic minted no token: HTTP ${response.status}`)
  const minted = await response.json()
  const token = state.bearerForm === 'id' ? minted.jwt : minted.minifiedJwt
  await inspect(token)
  return token
}

// The "wrong environment" case: a sign-in at another Dynamic project (its own key and environment
// id), as a front end configured with another environment id would hand over. Its key is not in
// this environment's JWKS, so the server refuses it before reading any claim: key_not_found.
async function otherEnvironmentToken() {
  const user = signedInUser()
  const response = await fetch('/demo/other-environment/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  })
  if (!response.ok) throw new Error(`The other environment minted no token: HTTP ${response.status}`)
  const minted = await response.json()
  const token = state.bearerForm === 'id' ? minted.jwt : minted.minifiedJwt
  await inspect(token)
  return token
}

// Sign-out through Dynamic's client (logout): it revokes the session and clears the cookie.
async function signOut() {
  await state.dynamic.signOut()
  state.signIn = null
  renderWallets()
  renderCredentials()
  $('inbox').hidden = true
  state.stepUp = null
  $('step-up-inbox').hidden = true
  $('step-up-form').hidden = true
  setActionsLine('muted', 'Sign in, then try them.')
  setSessionLine('muted', "Signed out through Dynamic's client: session revoked, cookie cleared.")
  $('checks').replaceChildren(el('li', { class: 'empty muted', text: 'Sign in to see the checks.' }))
  $('claims').replaceChildren(el('tbody', {}, [el('tr', {}, [el('td', { class: 'muted', text: 'No token yet.' })])]))
  $('token-kind').textContent = '—'
  $('token-header').textContent = ''
  $('token-raw').textContent = ''
  // The server's answer follows: the cookie is gone, so the API has nothing to accept.
  await call('/api/me', 'cookie')
}

// ---- Step 4: sensitive actions ----

function setActionsLine(kind, text) {
  const line = $('actions-line')
  line.className = `session ${kind}`
  line.textContent = text
}

// The body of the signed transfer: what the signature covers, byte for byte.
const TRANSFER = { amount: '10.5', to: '0x71C7656EC7ab88b098defB751B7401B5f6d8976F' }

// Shows a response of the API as the answer card does, and returns its status and JSON body.
async function showResponse(response, request) {
  const text = await response.text()
  let body = null
  let shown = text
  try {
    body = JSON.parse(text)
    shown = JSON.stringify(body, null, 2)
  } catch {}
  showAnswer({
    status: response.status,
    statusText: response.statusText,
    request,
    challenge: response.headers.get('www-authenticate'),
    body: shown,
  })
  return { status: response.status, body }
}

// The export with the session token, and the elevated token when there is one. The cookie stays
// out: the Bearer header carries the session.
async function sendExport(elevated) {
  const headers = { authorization: `Bearer ${state.signIn.token}` }
  if (elevated) headers['x-dyn-elevated-access-token'] = elevated
  const response = await fetch('/api/wallet/export', { method: 'POST', headers, credentials: 'omit' })
  return showResponse(
    response,
    `POST /api/wallet/export with Authorization: Bearer <access token> ${elevated ? 'and x-dyn-elevated-access-token: <elevated token for wallet:export>' : 'and no elevated token'}`,
  )
}

// The step-up loop as a front end runs it: call; on 403 insufficient_scope naming wallet:export,
// ask Dynamic's client whether a step-up is needed (checkStepUpAuth), and re-verify the email
// with a code; verifyStepUp then takes the elevated token and retries.
async function exportWallet() {
  if (!state.signIn) {
    setActionsLine('error', 'Sign in first: the export acts for a signed-in user.')
    return
  }
  const first = await sendExport(state.dynamic.takeElevatedToken())
  const scopes = first.body?.required_scopes ?? []
  if (first.status !== 403 || !scopes.includes('wallet:export')) return
  const check = await state.dynamic.checkStepUp()
  if (!check.isRequired) {
    setActionsLine('error', 'Dynamic says no step-up is needed, yet the API refused: see the answer.')
    return
  }
  const email = state.signIn.email
  if (!email) {
    setActionsLine('error', 'The step-up here re-verifies your email: sign in with an email code to try it.')
    return
  }
  state.stepUp = await state.dynamic.sendCode(email).catch((error) => {
    setActionsLine('error', `Sending the step-up code failed: ${describeError(error)}`)
    return null
  })
  if (!state.stepUp) return
  const response = await fetch(`${state.config.otpUrl}?email=${encodeURIComponent(email)}`, { credentials: 'omit' })
  const { code } = response.ok ? await response.json() : { code: null }
  $('step-up-to').textContent = email
  $('step-up-code').textContent = code ?? '(not found)'
  $('step-up-inbox').hidden = false
  delete $('step-up-inbox').dataset.used
  $('step-up-form').hidden = false
  $('step-up-otp').value = ''
  $('step-up-otp').focus()
  setActionsLine(
    'muted',
    `Step-up needed for wallet:export (Dynamic accepts: ${check.formats.join(', ') || 'a credential of yours'}). A code went to ${email}: type it below.`,
  )
}

async function verifyStepUp() {
  if (!state.stepUp) {
    setActionsLine('error', 'Press Export wallet first.')
    return
  }
  try {
    await state.dynamic.verifyStepUpCode(state.stepUp, $('step-up-otp').value.trim())
  } catch (error) {
    setActionsLine('error', `The step-up code was refused: ${describeError(error)}`)
    return
  }
  state.stepUp = null
  $('step-up-inbox').dataset.used = 'true'
  $('step-up-form').hidden = true
  const elevated = state.dynamic.takeElevatedToken()
  const answer = await sendExport(elevated)
  setActionsLine(
    answer.status === 200 ? 'on' : 'error',
    answer.status === 200
      ? "Stepped up through Dynamic's client: the export was accepted with a single-use elevated token, now spent."
      : 'The retry with the elevated token was refused: see the answer.',
  )
}

// The same token, with and without a signature by the session key. Signed, the request goes through
// fetchWithSessionKey over Dynamic's keychain; unsigned, it is what a copied token alone can send.
async function transfer(signed) {
  if (!state.signIn) {
    setActionsLine('error', 'Sign in first: the transfer acts for a signed-in user.')
    return
  }
  const body = JSON.stringify(TRANSFER)
  const headers = { 'content-type': 'application/json' }
  const response = signed
    ? await state.dynamic.signedFetch('/api/transfers', { method: 'POST', body, headers })
    : await fetch('/api/transfers', {
        method: 'POST',
        body,
        credentials: 'omit',
        headers: { ...headers, authorization: `Bearer ${state.signIn.token}` },
      })
  const answer = await showResponse(
    response,
    `POST /api/transfers with Authorization: Bearer <access token> ${signed ? "and x-session-signature (signed by the session key in Dynamic's keychain)" : 'and no signature'}`,
  )
  setActionsLine(
    answer.status === 200 ? 'on' : 'error',
    answer.status === 200
      ? "Accepted: the request was signed by the session key the token names, in Dynamic's keychain."
      : `Refused (${answer.body?.code ?? answer.status}): the token alone does not open this route.`,
  )
}

function describeError(error) {
  const code = error?.code ?? error?.cause?.code
  return `${error?.message ?? error}${code && !String(error?.message).includes(code) ? ` (${code})` : ''}`
}

async function call(path, mode, token = currentToken(), broken = null) {
  const headers = {}
  if (mode === 'bearer' && token) headers.authorization = `Bearer ${token}`
  // Bearer calls leave the cookie out so that each button shows one way of sending the token.
  const response = await fetch(path, { headers, credentials: mode === 'cookie' ? 'same-origin' : 'omit' })
  const text = await response.text()
  let body = text
  try {
    body = JSON.stringify(JSON.parse(text), null, 2)
  } catch {}
  const form = state.bearerForm === 'id' ? 'ID token' : 'access token'
  const missing = state.signIn ? 'no token (the client holds no ID token after a reload)' : 'no token (not signed in)'
  const sentAs =
    mode === 'none'
      ? 'no token'
      : mode === 'bearer'
        ? token
          ? `Authorization: Bearer <${broken ? `${broken} ${form}` : form}>`
          : missing
        : 'the DYNAMIC_JWT_TOKEN cookie'
  showAnswer({
    status: response.status,
    statusText: response.statusText,
    request: `GET ${path} with ${sentAs}`,
    challenge: response.headers.get('www-authenticate'),
    body,
  })
}

function showAnswer({ status, statusText, request, challenge, body }) {
  const card = $('answer')
  card.dataset.state = status >= 200 && status < 300 ? 'ok' : 'refused'
  $('answer-status').textContent = status ? `${status} ${statusText}` : statusText
  const [method, path, ...rest] = request.split(' ')
  if (status) $('answer-request').replaceChildren(el('code', { text: `${method} ${path}` }), ` ${rest.join(' ')}`)
  else $('answer-request').textContent = request
  // Only when the server sent the header (styles.css makes `hidden` win over the row's display: flex).
  $('answer-challenge-row').hidden = !challenge
  $('answer-challenge').textContent = challenge ?? ''
  $('answer-body').textContent = body
}

async function inspect(token) {
  const response = await fetch('/demo/inspect', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  })
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
    // Long structured claims (verified_credentials, missing_fields) are indented, one member a line.
    const compact = typeof value === 'string' ? value : JSON.stringify(value)
    const cell =
      typeof value === 'object' && value !== null && compact.length > 80
        ? el('td', {}, [el('pre', { class: 'claim-json', text: JSON.stringify(value, null, 2) })])
        : el('td', { text: compact })
    if (['exp', 'iat', 'nbf'].includes(name)) cell.append(el('span', { class: 'when', text: humanTime(value) }))
    rows.push(el('tr', {}, [el('td', { text: name }), cell]))
  }
  $('claims').replaceChildren(el('tbody', {}, rows))
}

init().catch((error) => {
  showAnswer({
    status: 0,
    statusText: 'Demo unavailable',
    request: `GET /demo/config failed: ${error}`,
    challenge: null,
    body: '',
  })
})
