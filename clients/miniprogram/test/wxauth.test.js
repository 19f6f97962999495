// The client kit against a live wxauth server in sandbox mode (see scripts/test-client).
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { BASE_URL, http, simulatedUser, miniProgram } = require('./support')
const { createClient } = require('../wxauth')
const { createSandboxWx } = require('../sandbox-wx')

const STORAGE_KEY = 'wxauth.session'

test('login exchanges one wx.login code and stores only our token', async () => {
  const sim = await simulatedUser({ unionid: 'oUnionKit' })
  const mp = miniProgram({ openid: sim.openid })

  const session = await mp.auth.login()

  assert.equal(session.isNewUser, true)
  assert.equal(session.needsPhone, false)
  assert.equal(session.user.openid, sim.openid)
  assert.equal(session.user.unionid, 'oUnionKit')
  assert.equal(mp.logins(), 1)
  assert.equal(mp.requests('/api/auth/login'), 1)
  const stored = mp.wx.getStorageSync(STORAGE_KEY)
  assert.equal(stored.token, session.token)
  assert.equal(stored.user.openid, sim.openid)
  assert.doesNotMatch(JSON.stringify(stored) + JSON.stringify(session), /session_?key/i)
  // The token works on its own, straight over HTTP.
  const me = await http('GET', '/api/me', { token: session.token })
  assert.equal(me.status, 200)
  assert.equal(me.body.user.openid, sim.openid)
})

test('login sends userInfo and the configured appid', async () => {
  const { appid } = (await miniProgram().auth.login()).user // the server's (default) mini-program
  const mp = miniProgram({ client: { appid } })
  const session = await mp.auth.login({ userInfo: { nickName: '小明', avatarUrl: 'https://cdn.example.com/m.png' } })
  assert.equal(session.user.nickName, '小明')
  const sent = mp.calls.find((c) => c.path === '/api/auth/login').request
  assert.equal(sent.appid, appid)

  const other = miniProgram({ client: { appid: 'wxnotservedhere' } })
  await assert.rejects(other.auth.login(), { name: 'WxAuthError', code: 'unknown_app', status: 400 })
})

test('a server-side login failure rejects with the API error, and the next login uses a new code', async () => {
  const sim = await simulatedUser({ blocked: true }) // WeChat's risk control: code2Session answers 40226
  const mp = miniProgram({ openid: sim.openid })
  await assert.rejects(mp.auth.login(), { code: 'user_blocked', status: 403 })
  assert.equal(mp.wx.getStorageSync(STORAGE_KEY), '')

  await http('POST', '/_sandbox/api/users', { body: { openid: sim.openid, blocked: false } })
  const session = await mp.auth.login()
  assert.ok(session.token)
  const codes = mp.calls.filter((c) => c.path === '/api/auth/login').map((c) => c.request.code)
  assert.equal(codes.length, 2)
  assert.notEqual(codes[0], codes[1])
})

test('ensureLogin reuses the stored token, across client instances, without wx.login', async () => {
  const mp = miniProgram()
  const first = await mp.auth.ensureLogin()
  const again = await mp.auth.ensureLogin()
  // The mini-program restarts: a new client on the same storage.
  const restarted = createClient({ baseUrl: BASE_URL })
  const third = await restarted.ensureLogin()
  const me = await restarted.request({ url: '/api/me' })

  assert.equal(again.token, first.token)
  assert.equal(third.token, first.token)
  assert.equal(again.isNewUser, false)
  assert.equal(me.user.id, first.user.id)
  assert.equal(mp.logins(), 1)
  assert.equal(mp.requests('/api/auth/login'), 1)
  assert.equal(mp.calls.find((c) => c.path === '/api/me').header.Authorization, 'Bearer ' + first.token)
})

test('an expired stored token is not sent: ensureLogin logs in again', async () => {
  const mp = miniProgram()
  const first = await mp.auth.login()
  mp.wx.setStorageSync(STORAGE_KEY, { ...mp.wx.getStorageSync(STORAGE_KEY), expiresAt: '2000-01-01T00:00:00Z' })
  const second = await mp.auth.ensureLogin()
  assert.notEqual(second.token, first.token)
  assert.equal(mp.logins(), 2)
})

test('concurrent ensureLogin calls share one wx.login and one server login', async () => {
  const mp = miniProgram()
  const sessions = await Promise.all(Array.from({ length: 5 }, () => mp.auth.ensureLogin()))
  assert.equal(new Set(sessions.map((s) => s.token)).size, 1)
  assert.equal(mp.logins(), 1)
  assert.equal(mp.requests('/api/auth/login'), 1)
})

test('a revoked token gets one re-login and the request is replayed', async () => {
  const mp = miniProgram()
  const first = await mp.auth.login()
  // The server ends the session behind the mini-program's back (here: a logout elsewhere).
  assert.equal((await http('POST', '/api/auth/logout', { token: first.token })).status, 200)

  const me = await mp.auth.request({ url: '/api/me' })

  assert.equal(me.user.id, first.user.id)
  assert.equal(mp.logins(), 2)
  assert.equal(mp.requests('/api/auth/login'), 2)
  const meCalls = mp.calls.filter((c) => c.path === '/api/me')
  assert.deepEqual(meCalls.map((c) => c.status), [401, 200])
  assert.notEqual(meCalls[1].header.Authorization, meCalls[0].header.Authorization)
  assert.notEqual(mp.wx.getStorageSync(STORAGE_KEY).token, first.token)
})

test('concurrent requests that meet the same revoked token share one re-login', async () => {
  const mp = miniProgram()
  const first = await mp.auth.login()
  await http('POST', '/api/auth/logout', { token: first.token })

  const answers = await Promise.all(Array.from({ length: 4 }, () => mp.auth.request({ url: '/api/me' })))

  assert.ok(answers.every((a) => a.user.id === first.user.id))
  assert.equal(mp.logins(), 2)
  assert.equal(mp.requests('/api/auth/login'), 2)
})

test('a request still refused after the re-login rejects instead of looping', async () => {
  const mp = miniProgram()
  await mp.auth.login()
  // A server that refuses every token for /api/me: the kit must stop after one replay.
  const realRequest = mp.wx.request
  mp.wx.request = (params) =>
    params.url.endsWith('/api/me')
      ? params.success({ statusCode: 401, data: { error: 'invalid_token', message: 'refused' }, header: {} })
      : realRequest(params)

  await assert.rejects(mp.auth.request({ url: '/api/me' }), { code: 'invalid_token', status: 401 })
  assert.equal(mp.logins(), 2)
})

test('request resolves the body of a 2xx and rejects other answers with the API error', async () => {
  const mp = miniProgram()
  const ok = await mp.auth.request({ url: '/api/me' })
  assert.ok(ok.user.id)
  await assert.rejects(mp.auth.request({ url: '/api/me', method: 'PUT', data: { phoneNumber: '1' } }), {
    name: 'WxAuthError',
    code: 'invalid_request',
    status: 400,
  })
  await assert.rejects(mp.auth.request({ url: '/api/me', method: 'PATCH', data: { nickName: 'x' } }), {
    code: 'network_error',
  })
})

test('bindPhone prefers the phone code', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  await mp.auth.login()
  const event = await mp.wx.phoneCodeEvent()
  assert.ok(event.detail.code && event.detail.encryptedData)

  const result = await mp.auth.bindPhone(event)

  assert.equal(result.status, 'bound')
  assert.equal(result.purePhoneNumber, sim.phoneNumber)
  assert.equal(result.countryCode, '86')
  assert.equal(result.user.phoneNumber, sim.phoneNumber)
  assert.deepEqual(mp.calls.find((c) => c.path === '/api/auth/phone').request, { code: event.detail.code })
  assert.equal(mp.wx.getStorageSync(STORAGE_KEY).user.phoneNumber, sim.phoneNumber)
  assert.equal(mp.logins(), 1)
})

test('bindPhone with a code logs in first when there is no session', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  const event = await mp.wx.phoneCodeEvent()
  const result = await mp.auth.bindPhone(event)
  assert.equal(result.purePhoneNumber, sim.phoneNumber)
  assert.equal(mp.logins(), 1)
})

test('bindPhone with a code survives a revoked token: one re-login, same code replayed', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  const first = await mp.auth.login()
  await http('POST', '/api/auth/logout', { token: first.token })
  const event = await mp.wx.phoneCodeEvent()

  const result = await mp.auth.bindPhone(event)

  assert.equal(result.purePhoneNumber, sim.phoneNumber)
  const phoneCalls = mp.calls.filter((c) => c.path === '/api/auth/phone')
  assert.deepEqual(phoneCalls.map((c) => c.status), [401, 200])
  assert.equal(phoneCalls[1].request.code, event.detail.code)
})

test('bindPhone with legacy encryptedData never calls wx.login', async () => {
  const sim = await simulatedUser({ phoneNumber: '13700001111' })
  const mp = miniProgram({ openid: sim.openid })
  await mp.auth.login()
  const event = await mp.wx.legacyPhoneEvent()
  assert.equal(event.detail.code, undefined)
  const loginsBefore = mp.logins()

  const result = await mp.auth.bindPhone(event)

  assert.equal(mp.logins(), loginsBefore)
  assert.equal(result.status, 'bound')
  assert.equal(result.phoneNumber, '13700001111')
  const sent = mp.calls.find((c) => c.path === '/api/auth/phone').request
  assert.deepEqual(Object.keys(sent).sort(), ['encryptedData', 'iv'])
})

test('what a wx.login in the phone callback would do: the legacy data no longer decrypts', async () => {
  // The mistake the kit avoids, shown against the real server: a fresh wx.login rotates
  // the session_key, and the data sealed with the old key fails with decrypt_failed.
  const mp = miniProgram()
  await mp.auth.login()
  const event = await mp.wx.legacyPhoneEvent()
  await mp.auth.login()
  await assert.rejects(mp.auth.bindPhone(event), { code: 'decrypt_failed', status: 422 })
})

test('bindPhone with legacy data and no session asks for a login instead of calling wx.login', async () => {
  const mp = miniProgram()
  await mp.auth.login()
  const event = await mp.wx.legacyPhoneEvent()
  mp.wx.clearStorageSync()
  const loginsBefore = mp.logins()

  await assert.rejects(mp.auth.bindPhone(event), { code: 'login_required' })
  assert.equal(mp.logins(), loginsBefore)
  assert.equal(mp.requests('/api/auth/phone'), 0)
})

test('bindPhone with legacy data and a revoked token forgets the session, without wx.login', async () => {
  const mp = miniProgram()
  const first = await mp.auth.login()
  const event = await mp.wx.legacyPhoneEvent()
  await http('POST', '/api/auth/logout', { token: first.token })

  await assert.rejects(mp.auth.bindPhone(event), { code: 'login_required' })
  assert.equal(mp.logins(), 1)
  assert.equal(mp.wx.getStorageSync(STORAGE_KEY), '')
})

test('a denied phone prompt resolves to "denied" and sends nothing', async () => {
  const mp = miniProgram()
  await mp.auth.login()
  const before = mp.calls.length

  const result = await mp.auth.bindPhone(mp.wx.deniedPhoneEvent())

  assert.deepEqual(result, { status: 'denied', errMsg: 'getPhoneNumber:fail user deny' })
  assert.equal(mp.calls.length, before)
})

test('a phone event without code or data (e.g. no quota left) rejects as phone_unavailable', async () => {
  const mp = miniProgram()
  const event = { detail: { errMsg: 'getPhoneNumber:fail no permission', errno: 1400001 } }
  await assert.rejects(mp.auth.bindPhone(event), { code: 'phone_unavailable' })
  assert.equal(mp.calls.length, 0)
})

test('an already used phone code is reported, not retried', async () => {
  const mp = miniProgram()
  await mp.auth.login()
  const event = await mp.wx.phoneCodeEvent()
  await mp.auth.bindPhone(event)
  await assert.rejects(mp.auth.bindPhone(event), { code: 'invalid_phone_code', status: 400 })
  assert.equal(mp.requests('/api/auth/phone'), 2)
})

test('updateProfile fills in nickname and avatar with PUT', async () => {
  const mp = miniProgram()
  await mp.auth.login()

  const user = await mp.auth.updateProfile({ nickName: '阿红', avatarUrl: 'https://cdn.example.com/h.png' })

  assert.equal(user.nickName, '阿红')
  assert.equal(user.avatarUrl, 'https://cdn.example.com/h.png')
  assert.equal(mp.calls.find((c) => c.path === '/api/me').method, 'PUT')
  assert.equal(mp.wx.getStorageSync(STORAGE_KEY).user.nickName, '阿红')
  const me = await mp.auth.request({ url: '/api/me' })
  assert.equal(me.user.nickName, '阿红')
})

test('updateProfile refuses a chooseAvatar temporary path and an empty update', async () => {
  const mp = miniProgram()
  await mp.auth.login()
  const before = mp.calls.length
  await assert.rejects(mp.auth.updateProfile({ avatarUrl: 'http://tmp/avatar.jpeg' }), { code: 'avatar_not_uploaded' })
  await assert.rejects(mp.auth.updateProfile({ avatarUrl: 'wxfile://tmp_123.jpg' }), { code: 'avatar_not_uploaded' })
  await assert.rejects(mp.auth.updateProfile({}), { code: 'invalid_request' })
  assert.equal(mp.calls.length, before)
  await assert.rejects(mp.auth.updateProfile({ nickName: '   ' }), { code: 'invalid_request', status: 400 })
})

test('logout ends the session on the server and here; the next call logs in again', async () => {
  const mp = miniProgram()
  const first = await mp.auth.login()

  await mp.auth.logout()

  assert.equal(mp.wx.getStorageSync(STORAGE_KEY), '')
  assert.equal(mp.auth.getSession(), null)
  assert.equal((await http('GET', '/api/me', { token: first.token })).status, 401)
  const second = await mp.auth.ensureLogin()
  assert.notEqual(second.token, first.token)
  assert.equal(mp.logins(), 2)
})

test('logout without a session, or with one the server already ended, resolves', async () => {
  const mp = miniProgram()
  await mp.auth.logout()
  assert.equal(mp.calls.length, 0)

  const first = await mp.auth.login()
  await http('POST', '/api/auth/logout', { token: first.token })
  await mp.auth.logout()
  assert.equal(mp.auth.getSession(), null)
})

test('logout that cannot reach the server still forgets the session, and says so', async () => {
  const mp = miniProgram()
  await mp.auth.login()
  mp.wx.request = (params) => params.fail({ errMsg: 'request:fail timeout' })
  await assert.rejects(mp.auth.logout(), { code: 'network_error' })
  assert.equal(mp.auth.getSession(), null)
})

test('the wx object can be passed instead of the global', async () => {
  globalThis.wx = undefined
  const own = createSandboxWx({ baseUrl: BASE_URL })
  const auth = createClient({ baseUrl: BASE_URL + '/', wx: own })
  const session = await auth.ensureLogin()
  assert.equal(session.user.openid, own.openid)
})

test('loginWithPhone sends the phone code with the login: one wx.login, one request', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  const session = await mp.auth.loginWithPhone(await mp.wx.phoneCodeEvent())
  assert.equal(session.phoneBound, true)
  assert.equal(session.phoneError, undefined)
  assert.equal(session.user.phoneNumber, sim.phoneNumber)
  assert.equal(mp.wx.getStorageSync(STORAGE_KEY).user.phoneNumber, sim.phoneNumber)
  assert.equal(mp.logins(), 1)
  assert.equal(mp.requests('/api/auth/login'), 1)
  assert.equal(mp.requests('/api/auth/phone'), 0)
})

test('loginWithPhone with a code WeChat refuses: logged in, phoneError says why', async () => {
  const mp = miniProgram()
  const session = await mp.auth.loginWithPhone({ detail: { errMsg: 'getPhoneNumber:ok', code: 'spent-or-forged' } })
  assert.equal(session.phoneBound, false)
  assert.equal(session.phoneError.error, 'invalid_phone_code')
  assert.equal((await http('GET', '/api/me', { token: session.token })).status, 200)
})

test('loginWithPhone declined logs in without the phone', async () => {
  const mp = miniProgram()
  const session = await mp.auth.loginWithPhone(mp.wx.deniedPhoneEvent())
  assert.equal(session.phoneBound, false)
  assert.ok(session.token)
  assert.equal(mp.calls.find((c) => c.path === '/api/auth/login').request.phoneCode, undefined)
})

test('legacy phone data under a key WeChat no longer holds: the kit logs in again, the next tap binds', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  await mp.auth.login()
  // Something else in the mini-program called wx.login: WeChat rotated the key, wxauth never saw it.
  await http('POST', '/_sandbox/api/login-code', { body: { openid: sim.openid, rotate: true } })
  const stale = await mp.wx.legacyPhoneEvent()
  await assert.rejects(mp.auth.bindPhone(stale), (err) => err.code === 'decrypt_failed' && err.data.reason === 'stale_session_key')
  assert.equal(mp.logins(), 2) // the kit logged in again, storing WeChat's current key on the server
  const again = await mp.auth.bindPhone(await mp.wx.legacyPhoneEvent())
  assert.equal(again.status, 'bound')
  assert.equal(again.purePhoneNumber, sim.phoneNumber)
})

test('exportData is everything about the person; deleteAccount ends every session and forgets it here', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  const first = await mp.auth.login()
  await mp.auth.bindPhone(await mp.wx.phoneCodeEvent())
  const data = await mp.auth.exportData()
  assert.equal(data.user.openid, sim.openid)
  assert.equal(data.user.phoneNumber, sim.phoneNumber)
  assert.equal(data.phoneBinds.length, 1)
  assert.doesNotMatch(JSON.stringify(data), new RegExp(first.token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))

  const other = await http('POST', '/api/auth/login', { body: { code: (await http('POST', '/_sandbox/api/login-code', { body: { openid: sim.openid } })).body.code } })
  await mp.auth.deleteAccount()
  assert.equal(mp.auth.getSession(), null)
  assert.equal((await http('GET', '/api/me', { token: first.token })).status, 401)
  assert.equal((await http('GET', '/api/me', { token: other.body.token })).status, 401) // every session
  const again = await mp.auth.login()
  assert.equal(again.isNewUser, true)
  assert.notEqual(again.user.id, first.user.id)
})
