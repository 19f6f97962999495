// The kit on uni-app and Taro: createClient({ baseUrl, wx: uni }) and { wx: Taro }, with the
// shapes those frameworks give (test/platforms.js), against the live sandbox server. No `wx`
// global exists here: touching it fails the test.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { BASE_URL, http, simulatedUser } = require('./support')
const { createClient } = require('../wxauth')
const { createSandboxWx } = require('../sandbox-wx')
const { createFakeUni, createFakeTaro, frameworkPhoneEvent } = require('./platforms')

const unhandled = []
process.on('unhandledRejection', (reason) => unhandled.push(reason))

test.beforeEach(() => {
  delete globalThis.wx
  Object.defineProperty(globalThis, 'wx', {
    configurable: true,
    get() {
      throw new Error('the kit touched the wx global')
    },
  })
})
test.afterEach(() => {
  delete globalThis.wx
})

const PLATFORMS = {
  'uni-app (Vue 3)': (wx) => createFakeUni(wx, { vue: 3 }),
  'uni-app (Vue 2)': (wx) => createFakeUni(wx, { vue: 2 }),
  Taro: (wx) => createFakeTaro(wx),
}

/** A phone with this framework on it: the platform object, the sandbox `wx` under it, a kit client. */
async function phoneWith(make) {
  const sim = await simulatedUser()
  const sandboxWx = createSandboxWx({ baseUrl: BASE_URL, openid: sim.openid })
  const platform = make(sandboxWx)
  const seen = { login: [], request: [] }
  for (const name of ['login', 'request']) {
    const original = platform[name]
    platform[name] = (params) => {
      seen[name].push(params)
      return original(params)
    }
  }
  return { sim, sandboxWx, platform, seen, auth: createClient({ baseUrl: BASE_URL, wx: platform }) }
}

for (const [name, make] of Object.entries(PLATFORMS)) {
  test(`${name}: login, phone by code, profile, request, logout`, async () => {
    const phone = await phoneWith(make)
    const session = await phone.auth.login()
    assert.equal(session.user.openid, phone.sim.openid)
    assert.equal(phone.seen.login[0].provider, 'weixin') // uni.login needs it off WeChat
    assert.equal(phone.platform.getStorageSync('wxauth.session').token, session.token)

    const event = frameworkPhoneEvent(await phone.sandboxWx.phoneCodeEvent())
    const bound = await phone.auth.bindPhone(event)
    assert.equal(bound.status, 'bound')
    assert.equal(bound.purePhoneNumber, phone.sim.phoneNumber)

    const user = await phone.auth.updateProfile({ nickName: '跨端' })
    assert.equal(user.nickName, '跨端')
    const me = await phone.auth.request({ url: '/api/me' })
    assert.equal(me.user.phoneNumber, phone.sim.phoneNumber)

    await phone.auth.logout()
    assert.equal(phone.platform.getStorageSync('wxauth.session'), '') // what uni and Taro answer for nothing
    assert.equal((await http('GET', '/api/me', { token: session.token })).status, 401)
    assert.equal(phone.auth.getSession(), null)
  })

  test(`${name}: the legacy phone data and a denied prompt`, async () => {
    const phone = await phoneWith(make)
    await phone.auth.login()
    const legacy = frameworkPhoneEvent(await phone.sandboxWx.legacyPhoneEvent())
    const logins = phone.seen.login.length
    assert.equal((await phone.auth.bindPhone(legacy)).status, 'bound')
    assert.equal(phone.seen.login.length, logins) // never a login between getting the data and sending it
    const denied = frameworkPhoneEvent(phone.sandboxWx.deniedPhoneEvent())
    assert.deepEqual(await phone.auth.bindPhone(denied), { status: 'denied', errMsg: denied.detail.errMsg })
  })

  test(`${name}: no answer is a network_error, and nothing is left unhandled`, async () => {
    const phone = await phoneWith(make)
    const before = unhandled.length
    const offline = createClient({ baseUrl: 'http://127.0.0.1:9', wx: phone.platform })
    await assert.rejects(offline.login(), { name: 'WxAuthError', code: 'network_error', status: 0 })
    await new Promise((resolve) => setTimeout(resolve, 50)) // let a stray rejection surface
    assert.deepEqual(unhandled.slice(before), [])
  })
}

test('an API object that answers only through its promise (callbacks ignored) works too', async () => {
  for (const vue of [3, 2]) {
    const sim = await simulatedUser()
    const uni = createFakeUni(createSandboxWx({ baseUrl: BASE_URL, openid: sim.openid }), { vue })
    const promiseOnly = {
      ...uni,
      login: ({ success, fail, ...params }) => uni.login(params),
      request: ({ success, fail, ...params }) => uni.request(params),
    }
    const auth = createClient({ baseUrl: BASE_URL, wx: promiseOnly })
    assert.equal((await auth.login()).user.openid, sim.openid, `Vue ${vue}`)
    const me = await auth.request({ url: '/api/me' })
    assert.equal(me.user.openid, sim.openid)
  }
})

test('a Taro request that fails rejects its own promise too: the kit handles it', async () => {
  const sim = await simulatedUser()
  const taro = createFakeTaro(createSandboxWx({ baseUrl: BASE_URL, openid: sim.openid }))
  const before = unhandled.length
  const auth = createClient({ baseUrl: BASE_URL, wx: taro })
  await auth.login()
  // PATCH: the request itself fails (wx.request has no PATCH), through the callback and the promise.
  await assert.rejects(auth.request({ url: '/api/me', method: 'PATCH' }), { code: 'network_error' })
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(unhandled.slice(before), [])
})
