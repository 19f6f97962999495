// The sample page (pages/auth) driven like WeChat would: Page() registers it, the buttons'
// handlers get WeChat-shaped events, and the kit underneath talks to the live server.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { http, simulatedUser, miniProgram } = require('./support')

const PAGE_DIR = path.join(__dirname, '..', 'pages', 'auth')
const UPLOADED_AVATAR = 'https://cdn.example.com/avatars/42.png'

/** Run pages/auth/auth.js the way the framework does, with this getApp(); return what it passed to Page(). */
function loadPage(app) {
  let definition
  globalThis.getApp = () => app
  globalThis.Page = (def) => {
    definition = def
  }
  const file = require.resolve(path.join(PAGE_DIR, 'auth.js'))
  delete require.cache[file]
  require(file)
  return definition
}

/** A page instance on a fresh app around this mini-program's client, after onLoad. */
function openPage(mp) {
  const definition = loadPage({ auth: mp.auth, avatarUploadUrl: 'https://upload.example.com/avatar' })
  const page = Object.create(definition)
  page.data = structuredClone(definition.data)
  page.setData = (patch) => Object.assign(page.data, patch)
  page.onLoad()
  return page
}

test('the template only binds handlers the page defines', () => {
  const definition = loadPage({ auth: {} })
  const wxml = fs.readFileSync(path.join(PAGE_DIR, 'auth.wxml'), 'utf8')
  const handlers = [...wxml.matchAll(/\bbind:?\w+="(\w+)"/g)].map((m) => m[1])
  assert.deepEqual(handlers.sort(), ['onChooseAvatar', 'onDeleteAccount', 'onGetPhoneNumber', 'onLogin', 'onLoginWithPhone', 'onLogout', 'onSaveProfile'])
  for (const name of handlers) assert.equal(typeof definition[name], 'function', name)
  assert.match(wxml, /open-type="getPhoneNumber" bindgetphonenumber="onGetPhoneNumber"/)
  assert.match(wxml, /open-type="chooseAvatar" bindchooseavatar="onChooseAvatar"/)
  assert.match(wxml, /<input[^>]*type="nickname"[^>]*name="nickName"/)
  assert.match(wxml, />微信一键登录</)
  assert.match(wxml, /open-type="getPhoneNumber" bindgetphonenumber="onLoginWithPhone"[^>]*>手机号一键登录</)
  const json = JSON.parse(fs.readFileSync(path.join(PAGE_DIR, 'auth.json'), 'utf8'))
  assert.equal(json.navigationBarTitleText, '登录')
})

test('login, deny then allow the phone, fill in the profile, come back, log out', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  const uploads = []
  mp.wx.uploadFile = (params) => {
    uploads.push(params.filePath)
    params.success({ statusCode: 200, data: JSON.stringify({ url: UPLOADED_AVATAR }) })
  }
  const page = openPage(mp)
  assert.equal(page.data.user, null)

  await page.onLogin()
  assert.equal(page.data.user.openid, sim.openid)
  assert.equal(page.data.busy, false)

  await page.onGetPhoneNumber(mp.wx.deniedPhoneEvent())
  assert.equal(page.data.user.phoneNumber, null)
  assert.match(page.data.notice, /未授权/)

  await page.onGetPhoneNumber(await mp.wx.phoneCodeEvent())
  assert.equal(page.data.user.phoneNumber, sim.phoneNumber)

  page.onChooseAvatar({ detail: { avatarUrl: 'http://tmp/chosen.jpeg' } })
  await page.onSaveProfile({ detail: { value: { nickName: ' 小美 ' } } })
  assert.deepEqual(uploads, ['http://tmp/chosen.jpeg'])
  assert.equal(page.data.user.nickName, '小美')
  assert.equal(page.data.user.avatarUrl, UPLOADED_AVATAR)
  assert.equal(page.data.avatarPath, '')

  // The page opens again later: the stored session is shown without logging in.
  const again = openPage(mp)
  assert.equal(again.data.user.nickName, '小美')
  assert.equal(mp.logins(), 1)

  const token = mp.auth.getSession().token
  await again.onLogout()
  assert.equal(again.data.user, null)
  assert.equal((await http('GET', '/api/me', { token })).status, 401)
})

test('a double tap on 微信一键登录 logs in once', async () => {
  const mp = miniProgram()
  const page = openPage(mp)
  await Promise.all([page.onLogin(), page.onLogin()])
  assert.equal(mp.logins(), 1)
  assert.ok(page.data.user)
})

test('failures become a readable notice and leave the page usable', async () => {
  const sim = await simulatedUser({ blocked: true })
  const mp = miniProgram({ openid: sim.openid })
  const page = openPage(mp)

  await page.onLogin()

  assert.equal(page.data.user, null)
  assert.equal(page.data.notice, '该微信账号存在风险，暂时无法登录')
  assert.equal(page.data.busy, false)
})

test('a failed avatar upload saves nothing', async () => {
  const mp = miniProgram()
  mp.wx.uploadFile = (params) => params.fail({ errMsg: 'uploadFile:fail timeout' })
  const page = openPage(mp)
  await page.onLogin()
  page.onChooseAvatar({ detail: { avatarUrl: 'http://tmp/chosen.jpeg' } })

  await page.onSaveProfile({ detail: { value: { nickName: '不会保存' } } })

  assert.equal(page.data.notice, '头像上传失败，请重试')
  assert.equal((await mp.auth.request({ url: '/api/me' })).user.nickName, null)
})

test('手机号一键登录 before login: one wx.login, one request, and the phone is bound', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  const page = openPage(mp)
  await page.onLoginWithPhone(await mp.wx.phoneCodeEvent())
  assert.equal(page.data.user.openid, sim.openid)
  assert.equal(page.data.user.phoneNumber, sim.phoneNumber)
  assert.equal(page.data.notice, '')
  assert.equal(mp.logins(), 1)
  assert.equal(mp.requests('/api/auth/login'), 1)
  assert.equal(mp.requests('/api/auth/phone'), 0)
})

test('手机号一键登录 declined: logged in all the same, without the phone', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  const page = openPage(mp)
  await page.onLoginWithPhone(mp.wx.deniedPhoneEvent())
  assert.equal(page.data.user.openid, sim.openid)
  assert.equal(page.data.user.phoneNumber, null)
  assert.equal(mp.calls.find((c) => c.path === '/api/auth/login').request.phoneCode, undefined)
})

test('注销账号 asks first; cancelled it keeps the account, confirmed it deletes it', async () => {
  const sim = await simulatedUser()
  const mp = miniProgram({ openid: sim.openid })
  const answers = [false, true]
  const asked = []
  mp.wx.showModal = (params) => {
    asked.push(params.title)
    params.success({ confirm: answers.shift(), cancel: false })
  }
  const page = openPage(mp)
  await page.onLogin()
  const token = mp.wx.getStorageSync('wxauth.session').token

  await page.onDeleteAccount() // cancelled
  assert.equal(mp.requests('/api/me'), 0)
  assert.equal((await http('GET', '/api/me', { token })).status, 200)

  await page.onDeleteAccount() // confirmed
  assert.deepEqual(asked, ['注销账号', '注销账号'])
  assert.equal(page.data.user, null)
  assert.equal(page.data.notice, '账号已注销')
  assert.equal(mp.wx.getStorageSync('wxauth.session'), '')
  assert.equal((await http('GET', '/api/me', { token })).status, 401)
  await page.onLogin()
  assert.equal(page.data.user.openid, sim.openid) // the same WeChat user comes back as a new user
})

test('the TypeScript page defines every handler the shared markup binds', () => {
  const wxml = fs.readFileSync(path.join(PAGE_DIR, 'auth.wxml'), 'utf8')
  const ts = fs.readFileSync(path.join(PAGE_DIR, '..', 'auth-ts', 'auth.ts'), 'utf8')
  assert.match(fs.readFileSync(path.join(PAGE_DIR, '..', 'auth-ts', 'auth.wxml'), 'utf8'), /<include src="\.\.\/auth\/auth\.wxml"/)
  for (const [, name] of wxml.matchAll(/\bbind:?\w+="(\w+)"/g)) {
    assert.match(ts, new RegExp(`^  (async )?${name}\\(`, 'm'), name)
  }
})
