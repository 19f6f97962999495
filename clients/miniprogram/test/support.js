// Shared by the client-kit tests: a live wxauth sandbox server, a fake `wx` global on it,
// and direct HTTP for what happens outside the mini-program.
'use strict'

const crypto = require('node:crypto')
const { createClient } = require('../wxauth')
const { createSandboxWx } = require('../sandbox-wx')

const BASE_URL = (process.env.WXAUTH_BASE_URL || '').replace(/\/+$/, '')
if (!BASE_URL) {
  throw new Error('WXAUTH_BASE_URL is not set: run scripts/test-client, or point it at a wxauth server in sandbox mode')
}

/** Plain HTTP to the server, as curl would do it: JSON in, { status, body } out. */
async function http(method, path, { token, body } = {}) {
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = 'Bearer ' + token
  const resp = await fetch(BASE_URL + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await resp.text()
  return { status: resp.status, body: text ? JSON.parse(text) : null }
}

/** A simulated WeChat user of our own (tests never share one), with a known phone number. */
async function simulatedUser(fields = {}) {
  const openid = 'oKit' + crypto.randomBytes(9).toString('base64url')
  const phoneNumber = '139' + String(crypto.randomInt(1e7, 1e8))
  const res = await http('POST', '/_sandbox/api/users', { body: { openid, phoneNumber, ...fields } })
  if (res.status !== 201) throw new Error('could not create a simulated user: ' + JSON.stringify(res.body))
  return res.body.user
}

/**
 * A mini-program on a phone: the fake `wx` installed as the global (as in WeChat), a kit
 * client on it, and the record of every call it made (`calls`, in completion order).
 */
function miniProgram({ openid, client = {} } = {}) {
  const calls = []
  const wx = createSandboxWx({ baseUrl: BASE_URL, openid, onCall: (entry, phase) => phase === 'end' && calls.push(entry) })
  globalThis.wx = wx
  const auth = createClient({ baseUrl: BASE_URL, ...client })
  const count = (label, path) => calls.filter((c) => c.label === label && (!path || c.path === path)).length
  return {
    wx,
    auth,
    calls,
    /** How many times wx.login ran. */
    logins: () => count('wx.login'),
    /** How many wx.request calls went to `path`. */
    requests: (path) => count('wx.request', path),
  }
}

module.exports = { BASE_URL, http, simulatedUser, miniProgram }
