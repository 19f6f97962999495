// The mini-program simulator: the real client kit (wxauth.js) on a browser `wx`
// (sandbox-wx.js), driven by the same buttons as the sample page, with every call drawn in
// a timeline. The control API is used only for what WeChat's client would hand over
// (codes, encrypted data) and for the simulator's own panels (users, faults).
// createClient and createSandboxWx are the globals of the two kit scripts loaded before this one.
/* global createClient, createSandboxWx */
import { brief, createTimeline, el, shorten } from './timeline.js'

const origin = window.location.origin
const root = document.getElementById('simulator')
const avatarBase = root.dataset.avatars
const AVATARS = ['1.svg', '2.svg', '3.svg', '4.svg'].map((name) => new URL(avatarBase + name, origin).href)
const DEFAULT_AVATAR = new URL(avatarBase + 'default.svg', origin).href
const STORAGE_KEY = 'wxauth.session'
const $ = (id) => document.getElementById(id)
const timeline = createTimeline($('timeline'), $('timeline-empty'))

let users = []
let openid = ''
let wx = null
let auth = null
let busy = false
let chosenAvatar = null
let armed = null

function maskPhone(phone) {
  return phone && phone.length >= 7 ? phone.slice(0, 3) + '****' + phone.slice(-4) : phone || ''
}

async function control(method, path, body) {
  const resp = await fetch('/_sandbox/api/' + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = await resp.json()
  if (!resp.ok) throw Object.assign(new Error(data.message || 'HTTP ' + resp.status), { code: data.error })
  return data
}

// -- the phone ---------------------------------------------------------------------------

/** A fresh phone for this WeChat user: new wx storage, nothing logged in. */
function newPhone(id) {
  openid = id
  wx = createSandboxWx({ baseUrl: origin, openid: id || undefined, onCall: timeline.call })
  auth = createClient({ baseUrl: origin, wx })
  chosenAvatar = null
  notice('')
  render()
}

function notice(text, bad) {
  const node = $('mp-notice')
  node.textContent = text
  node.classList.toggle('mp-notice-bad', !!bad)
}

function render() {
  const session = auth.getSession()
  const user = session && session.user
  $('mp-logged-out').hidden = !!user
  $('mp-logged-in').hidden = !user
  $('mp-name').textContent = user ? user.nickName || '微信用户' : '未登录'
  $('mp-avatar').src = chosenAvatar || (user && user.avatarUrl) || DEFAULT_AVATAR
  $('mp-phone-row').hidden = !(user && user.phoneNumber)
  $('mp-phone-button').hidden = !!(user && user.phoneNumber)
  $('mp-phone').textContent = (user && user.phoneNumber) || ''
  if (user && document.activeElement !== $('mp-nickname')) $('mp-nickname').value = user.nickName || ''
  for (const button of $('mp-avatars').children) {
    const selected = button.dataset.url === (chosenAvatar || (user && user.avatarUrl))
    button.setAttribute('aria-checked', String(selected))
  }
  renderStorage(wx.getStorageSync(STORAGE_KEY))
  for (const button of document.querySelectorAll('[data-action], #mp-profile button')) button.disabled = busy
  root.dataset.busy = String(busy)
}

function renderStorage(stored) {
  const facts = $('storage-facts')
  facts.hidden = !stored
  $('storage-empty').hidden = !!stored
  if (!stored) return
  const user = stored.user || {}
  const rows = [
    ['token', shorten(stored.token, 8, 6)],
    ['expiresAt', stored.expiresAt],
    ['needsPhone', String(stored.needsPhone)],
    ['user', `#${user.id} ${user.openid}`],
    ['phone', user.phoneNumber || '—'],
    ['nickName', user.nickName || '—'],
  ]
  facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', null, k), el('dd', null, v)]))
}

/** Run one user action: a timeline group, its calls, and what the kit resolved or rejected. */
async function act(title, run) {
  if (busy) return
  busy = true
  notice('')
  render()
  const group = timeline.start(title)
  try {
    const value = await run()
    timeline.result(group, true, ('→ resolved ' + brief(value)).trim(), value)
  } catch (err) {
    timeline.result(group, false, `✕ rejected ${err.code || err.name}: ${err.message}`, err.data)
    notice(`${err.code || 'error'}: ${err.message}`, true)
  } finally {
    // The side panels catch up before the phone is ready for the next tap.
    await Promise.all([refreshFault(), wx.openid && wx.openid !== openid ? adoptNewUser(wx.openid) : null]).catch(
      (err) => timeline.note('Could not refresh the panels: ' + err.message)
    )
    busy = false
    render()
  }
}

function summary(session) {
  const shown = { isNewUser: session.isNewUser, needsPhone: session.needsPhone, phoneBound: session.phoneBound }
  if (session.phoneError) shown.phoneError = session.phoneError
  return Object.assign(shown, { token: session.token, user: session.user })
}

// The phone sheet answers the button that opened it: 绑定手机号 after login, or
// 手机号一键登录 before it (then the kit logs in with the phone code in the same request).
let sheetForLogin = false

function openPhoneSheet(forLogin) {
  sheetForLogin = forLogin
  const user = users.find((u) => u.openid === (wx.openid || openid))
  $('sheet-phone').textContent = maskPhone((user && user.phoneNumber) || '13800138000')
  $('sheet-legacy').hidden = forLogin // a code is what a one-tap login sends
  $('phone-sheet').hidden = false
}

/** 手机号一键登录: the simulated user taps allow or deny on the sheet shown before login. */
function loginWithPhone(title, makeEvent) {
  $('phone-sheet').hidden = true
  return act(title, async () => {
    if (!wx.openid) {
      // A first-time user: WeChat knows them before they log in, so the sandbox needs them too.
      const created = await control('POST', 'users', {})
      wx.openid = created.user.openid
    }
    const session = await auth.loginWithPhone(await makeEvent())
    if (session.phoneError) notice(`登录成功，手机号未绑定 (${session.phoneError.error})`, true)
    else notice(session.phoneBound ? '已登录，手机号已绑定' : '已登录 (phone declined: sent without a phone code)')
    return summary(session)
  })
}

const actions = {
  login: () => act('auth.login()', () => auth.login().then(summary)),

  'phone-sheet': () => openPhoneSheet(false),

  'phone-login-sheet': () => openPhoneSheet(true),

  'phone-allow': () =>
    sheetForLogin
      ? loginWithPhone('auth.loginWithPhone(event) · allowed, with a phone code', () => wx.phoneCodeEvent())
      : bindPhone('auth.bindPhone(event) · allowed, with a phone code', () => wx.phoneCodeEvent()),

  'phone-legacy': () =>
    bindPhone('auth.bindPhone(event) · allowed, legacy encryptedData', () => wx.legacyPhoneEvent()),

  'phone-deny': () =>
    sheetForLogin
      ? loginWithPhone('auth.loginWithPhone(event) · denied', () => wx.deniedPhoneEvent())
      : bindPhone('auth.bindPhone(event) · denied', () => wx.deniedPhoneEvent()),

  logout: () =>
    act('auth.logout()', () => {
      chosenAvatar = null
      return auth.logout()
    }),

  me: () =>
    act('auth.request({ url: "/api/me" })', async () => {
      const answer = await auth.request({ url: '/api/me' })
      showLinked(answer.linkedApps || [])
      return answer
    }),

  'delete-sheet': () => {
    $('delete-sheet').hidden = false
  },

  'delete-cancel': () => {
    $('delete-sheet').hidden = true
  },

  'delete-confirm': () => {
    $('delete-sheet').hidden = true
    return act('auth.deleteAccount() · 注销账号', async () => {
      await auth.deleteAccount()
      chosenAvatar = null
      showLinked([])
      notice('账号已注销: a later login is a new user')
    })
  },

  revoke: () => {
    const session = auth.getSession()
    if (!session) {
      notice('Nothing to revoke: log in first.', true)
      return
    }
    // Straight to the server, behind the kit's back: the kit still holds the token and
    // will meet a 401 on its next call, then log in again once and replay.
    return act('The server ends this session (the kit is not told)', () =>
      new Promise((resolve, reject) =>
        wx.request({
          url: origin + '/api/auth/logout',
          method: 'POST',
          header: { Authorization: 'Bearer ' + session.token },
          success: (res) => resolve(res.data),
          fail: (err) => reject(new Error(err.errMsg)),
        })
      )
    )
  },
}

/** The same person's other mini-programs, as GET /api/me's linkedApps lists them. */
function showLinked(apps) {
  $('mp-linked-card').hidden = !apps.length
  $('mp-linked').textContent = apps.map((app) => app.name).join('、')
}

function bindPhone(title, makeEvent) {
  $('phone-sheet').hidden = true
  return act(title, async () => {
    const result = await auth.bindPhone(await makeEvent())
    if (result.status === 'denied') notice('未授权手机号 (denied: nothing was sent to the server)')
    else notice('手机号已绑定')
    return result
  })
}

function saveProfile(event) {
  event.preventDefault()
  const nickName = $('mp-nickname').value.trim()
  const fields = {}
  if (nickName) fields.nickName = nickName
  // The simulator "uploads" the chosen avatar to a URL this server already hosts.
  if (chosenAvatar) fields.avatarUrl = chosenAvatar
  return act('auth.updateProfile({ ' + Object.keys(fields).join(', ') + ' })', () =>
    auth.updateProfile(fields).then((user) => {
      chosenAvatar = null
      notice('资料已保存')
      return user
    })
  )
}

// -- WeChat users --------------------------------------------------------------------------

async function loadUsers(select) {
  users = (await control('GET', 'users')).users
  const picker = $('user-select')
  const keep = select !== undefined ? select : picker.value
  picker.replaceChildren(el('option', null, 'A new user, created on first login'))
  picker.firstChild.value = ''
  for (const user of users) {
    const option = el('option', null, user.openid + (user.phoneNumber ? ' · ' + user.phoneNumber : ''))
    option.value = user.openid
    picker.append(option)
  }
  picker.value = users.some((u) => u.openid === keep) ? keep : ''
  showUserFacts()
}

function showUserFacts() {
  const user = users.find((u) => u.openid === $('user-select').value)
  $('user-facts').hidden = !user
  if (!user) return
  $('fact-openid').textContent = user.openid
  $('fact-unionid').textContent = user.unionid || '—'
  $('fact-phone').textContent = user.phoneNumber || '— (WeChat answers 13800138000)'
}

function switchUser(id) {
  newPhone(id)
  showUserFacts()
  timeline.note(id ? `Switched to WeChat user ${id}: a fresh phone, nothing stored` : 'A new WeChat user on the next login')
}

// wx.login without an openid made a new simulated user: keep using it.
function adoptNewUser(id) {
  openid = id
  return loadUsers(id)
}

async function createUser(event) {
  event.preventDefault()
  const form = event.target
  const body = {}
  for (const name of ['openid', 'unionid', 'phoneNumber']) {
    const value = form.elements[name].value.trim()
    if (value) body[name] = value
  }
  try {
    const { user } = await control('POST', 'users', body)
    form.reset()
    $('user-create').open = false
    await loadUsers(user.openid)
    switchUser(user.openid)
  } catch (err) {
    timeline.note('Could not create the user: ' + err.message)
  }
}

// -- faults ------------------------------------------------------------------------------

async function armFault(event) {
  event.preventDefault()
  const form = event.target
  const [kind, raw] = form.elements.fault.value.split(':')
  const endpoint = form.elements.endpoint.value
  const count = Math.max(1, Math.min(5, Number(form.elements.count.value) || 1))
  const fault = { endpoint, count, [kind]: kind === 'body' ? raw : Number(raw) }
  const before = (await control('GET', 'stats')).calls[endpoint] || 0
  await control('POST', 'faults', fault)
  const label = form.elements.fault.selectedOptions[0].textContent
  armed = { endpoint, label, until: before + count, count }
  timeline.note(`WeChat fault armed: ${label} on ${endpoint}, next ${count} call${count > 1 ? 's' : ''}`)
  showFault(0)
}

function showFault(used) {
  $('fault-status').textContent = armed
    ? `Armed: ${armed.label} on ${armed.endpoint} (${armed.count - used} left)`
    : 'No fault armed.'
  $('fault-status').classList.toggle('status-armed', !!armed)
}

async function refreshFault() {
  if (!armed) return
  const calls = (await control('GET', 'stats')).calls[armed.endpoint] || 0
  const left = armed.until - calls
  if (left <= 0) armed = null
  showFault(armed ? armed.count - left : 0)
}

async function clearFaults() {
  await control('DELETE', 'faults')
  armed = null
  showFault(0)
  timeline.note('WeChat faults cleared')
}

// -- wiring ------------------------------------------------------------------------------

function buildAvatarPicker() {
  AVATARS.forEach((url, i) => {
    const button = el('button', 'mp-avatar-choice')
    button.type = 'button'
    button.dataset.url = url
    button.setAttribute('role', 'radio')
    button.setAttribute('aria-label', '头像 ' + (i + 1))
    const img = el('img')
    img.src = url
    img.alt = ''
    button.append(img)
    button.addEventListener('click', () => {
      chosenAvatar = url
      render()
    })
    $('mp-avatars').append(button)
  })
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-action]')
  if (button && actions[button.dataset.action]) actions[button.dataset.action]()
})
$('phone-sheet').addEventListener('click', (event) => {
  if (event.target === event.currentTarget) event.currentTarget.hidden = true
})
$('mp-profile').addEventListener('submit', saveProfile)
$('user-form').addEventListener('submit', createUser)
$('user-select').addEventListener('change', (event) => switchUser(event.target.value))
$('fault-form').addEventListener('submit', (event) => armFault(event).catch((err) => timeline.note('Fault not armed: ' + err.message)))
$('fault-clear').addEventListener('click', clearFaults)
$('timeline-clear').addEventListener('click', () => timeline.clear())

buildAvatarPicker()
newPhone('')
loadUsers().then(() => {
  // Always start as "a new user, created on first login" (as the README says); existing
  // simulated users are one pick away in the list.
  $('user-select').value = ''
  root.dataset.ready = 'true'
})
