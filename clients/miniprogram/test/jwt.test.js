// The kit against a server issuing JWT access tokens with refresh tokens
// (WXAUTH_TOKEN_FORMAT=jwt; scripts/test-client starts it beside the opaque one).
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { createClient } = require('../wxauth')
const { createSandboxWx } = require('../sandbox-wx')

const JWT_BASE_URL = (process.env.WXAUTH_JWT_BASE_URL || '').replace(/\/+$/, '')
const STORAGE_KEY = 'wxauth.session'

async function http(method, path, { token, body } = {}) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = 'Bearer ' + token
  const resp = await fetch(JWT_BASE_URL + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await resp.text()
  return { status: resp.status, body: text ? JSON.parse(text) : null }
}

async function miniProgram() {
  const openid = 'oJwt' + crypto.randomBytes(9).toString('base64url')
  const made = await http('POST', '/_sandbox/api/users', { body: { openid } })
  assert.equal(made.status, 201)
  const calls = []
  const wx = createSandboxWx({ baseUrl: JWT_BASE_URL, openid, onCall: (entry, phase) => phase === 'end' && calls.push(entry) })
  globalThis.wx = wx
  const auth = createClient({ baseUrl: JWT_BASE_URL })
  const count = (label, path) => calls.filter((c) => c.label === label && (!path || c.path === path)).length
  return { wx, auth, logins: () => count('wx.login'), requests: (path) => count('wx.request', path) }
}

const skip = JWT_BASE_URL ? false : 'WXAUTH_JWT_BASE_URL is not set (scripts/test-client sets it)'

test('login stores the refresh token beside the JWT', { skip }, async () => {
  const mp = await miniProgram()
  const session = await mp.auth.login()
  assert.equal(session.token.split('.').length, 3)
  const stored = mp.wx.getStorageSync(STORAGE_KEY)
  assert.match(stored.refreshToken, /^rt_/)
  assert.ok(Date.parse(stored.refreshExpiresAt) > Date.parse(stored.expiresAt))
})

test('an access token about to expire is refreshed, without wx.login', { skip }, async () => {
  const mp = await miniProgram()
  await mp.auth.login()
  const before = mp.wx.getStorageSync(STORAGE_KEY)
  mp.wx.setStorageSync(STORAGE_KEY, { ...before, expiresAt: new Date(Date.now() + 1000).toISOString() })
  const body = await mp.auth.request({ url: '/api/me' })
  assert.equal(body.user.openid, before.user.openid)
  assert.equal(mp.logins(), 1)
  assert.equal(mp.requests('/api/auth/refresh'), 1)
  const after = mp.wx.getStorageSync(STORAGE_KEY)
  assert.notEqual(after.token, before.token)
  assert.notEqual(after.refreshToken, before.refreshToken)
  // The old refresh token worked once: presenting it again ends the session.
  const reused = await http('POST', '/api/auth/refresh', { body: { refreshToken: before.refreshToken } })
  assert.equal(reused.status, 401)
})

test('a 401 refreshes once and replays; concurrent requests share the one refresh', { skip }, async () => {
  const mp = await miniProgram()
  await mp.auth.login()
  const stored = mp.wx.getStorageSync(STORAGE_KEY)
  // A token the server refuses while the kit still thinks it fresh (a clock that is off).
  mp.wx.setStorageSync(STORAGE_KEY, { ...stored, token: stored.token.slice(0, -6) + 'AAAAAA' })
  const answers = await Promise.all([1, 2, 3, 4].map(() => mp.auth.request({ url: '/api/me' })))
  assert.ok(answers.every((a) => a.user.openid === stored.user.openid))
  assert.equal(mp.requests('/api/auth/refresh'), 1)
  assert.equal(mp.logins(), 1)
  const me = await http('GET', '/api/me', { token: mp.wx.getStorageSync(STORAGE_KEY).token })
  assert.equal(me.status, 200) // the family is alive: no refresh token was used twice
})

test('a refused refresh token (the session ended) logs in again', { skip }, async () => {
  const mp = await miniProgram()
  const session = await mp.auth.login()
  assert.equal((await http('POST', '/api/auth/logout', { token: session.token })).status, 200)
  const stored = mp.wx.getStorageSync(STORAGE_KEY)
  mp.wx.setStorageSync(STORAGE_KEY, { ...stored, expiresAt: new Date(Date.now() - 1000).toISOString() })
  const body = await mp.auth.request({ url: '/api/me' })
  assert.equal(body.user.openid, session.user.openid)
  assert.equal(mp.requests('/api/auth/refresh'), 1)
  assert.equal(mp.logins(), 2)
})
