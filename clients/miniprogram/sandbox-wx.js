/**
 * A stand-in for the mini-program's `wx` object, backed by a wxauth server in sandbox mode.
 * Not part of a mini-program: the Node tests and the browser simulator (/_sandbox/) run
 * the real wxauth.js on it.
 *
 * - login() asks the sandbox's control API for a real wx.login code (rotating the user's
 *   session_key, as WeChat may);
 * - request() does real HTTP with fetch and answers like wx.request, including its refusal
 *   of methods wx.request does not have (PATCH);
 * - storage lives in a Map;
 * - phoneCodeEvent(), legacyPhoneEvent() and deniedPhoneEvent() build the events that the
 *   <button open-type="getPhoneNumber"> handler receives.
 *
 * Every call is reported to `onCall(entry, phase)` ("start", then "end"), so tests can count
 * calls and the simulator can draw its timeline.
 */
'use strict'

// wx.request's documented methods.
const WX_REQUEST_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']

function createSandboxWx(options) {
  const baseUrl = String(options.baseUrl).replace(/\/+$/, '')
  const fetchImpl = options.fetch || globalThis.fetch.bind(globalThis)
  const onCall = options.onCall || function () {}
  const storage = new Map()
  let nextId = 1

  async function traced(entry, run) {
    entry.id = nextId++
    entry.startedAt = Date.now()
    onCall(entry, 'start')
    try {
      return await run()
    } catch (err) {
      entry.error = err.message
      throw err
    } finally {
      entry.ms = Date.now() - entry.startedAt
      onCall(entry, 'end')
    }
  }

  async function http(entry, url, init) {
    const resp = await fetchImpl(url, init)
    const text = await resp.text()
    let data = text
    try {
      data = JSON.parse(text)
    } catch (e) {
      // like wx.request with dataType json: a body that is not JSON stays a string
    }
    entry.status = resp.status
    entry.response = data
    return { statusCode: resp.status, data, header: Object.fromEntries(resp.headers.entries()) }
  }

  /** The sandbox control API, playing WeChat's client side. */
  async function control(label, path, body) {
    const entry = { kind: 'wechat', label, method: 'POST', path: '/_sandbox/api/' + path, request: body }
    return traced(entry, async () => {
      const res = await http(entry, baseUrl + entry.path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      if (res.statusCode >= 300) {
        throw new Error(`${label}: sandbox answered ${res.statusCode} ${JSON.stringify(res.data)}`)
      }
      return res.data
    })
  }

  const wx = {
    /** The simulated WeChat user; undefined until the first login creates one. */
    openid: options.openid,

    login(params) {
      control('wx.login', 'login-code', { openid: wx.openid, rotate: true }).then(
        (data) => {
          wx.openid = data.openid
          params.success && params.success({ code: data.code, errMsg: 'login:ok' })
        },
        (err) => params.fail && params.fail({ errMsg: 'login:fail ' + err.message })
      )
    },

    request(params) {
      const method = (params.method || 'GET').toUpperCase()
      const header = Object.assign({ 'content-type': 'application/json' }, params.header)
      let url = params.url
      let body
      if (params.data !== undefined && params.data !== null) {
        if (method === 'GET') {
          url += (url.includes('?') ? '&' : '?') + new URLSearchParams(params.data).toString()
        } else {
          body = typeof params.data === 'string' ? params.data : JSON.stringify(params.data)
        }
      }
      const path = url.startsWith(baseUrl) ? url.slice(baseUrl.length) : url
      const entry = { kind: 'api', label: 'wx.request', method, path, header, request: params.data }
      traced(entry, async () => {
        if (!WX_REQUEST_METHODS.includes(method)) {
          throw new Error(`request:fail method ${method} is not supported by wx.request`)
        }
        return http(entry, url, { method, headers: header, body })
      }).then(
        (res) => params.success && params.success(Object.assign(res, { errMsg: 'request:ok' })),
        (err) => params.fail && params.fail({ errMsg: err.message.startsWith('request:fail') ? err.message : 'request:fail ' + err.message })
      )
      return { abort() {} }
    },

    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => void storage.set(key, JSON.parse(JSON.stringify(value))),
    removeStorageSync: (key) => void storage.delete(key),
    clearStorageSync: () => storage.clear(),

    /** The user tapped "allow": a new-style event, with a phone code and (as WeChat still sends) encryptedData/iv. */
    async phoneCodeEvent() {
      const { code } = await control('getPhoneNumber', 'phone-code', { openid: wx.openid })
      const sealed = await control('getPhoneNumber', 'encrypted-phone', { openid: wx.openid })
      return phoneEvent({ code, encryptedData: sealed.encryptedData, iv: sealed.iv })
    },

    /** "Allow" on a base library older than 2.21.2: encryptedData/iv only, sealed with the current session_key. */
    async legacyPhoneEvent() {
      const sealed = await control('getPhoneNumber', 'encrypted-phone', { openid: wx.openid })
      return phoneEvent({ encryptedData: sealed.encryptedData, iv: sealed.iv })
    },

    /** The user tapped "deny". */
    deniedPhoneEvent() {
      return { type: 'getphonenumber', detail: { errMsg: 'getPhoneNumber:fail user deny' } }
    },
  }
  return wx
}

function phoneEvent(detail) {
  return { type: 'getphonenumber', detail: Object.assign({ errMsg: 'getPhoneNumber:ok' }, detail) }
}

if (typeof module !== 'undefined' && module.exports) {
  module.exports = { createSandboxWx, WX_REQUEST_METHODS }
}
