// The uni-app sample page (pages/auth.vue), compiled with Vue's own SFC compiler and run:
// its <script setup> on Vue's reactivity with a uni-app-shaped `uni` (../../miniprogram/test/
// platforms.js) over the sandbox, its handlers called with the events uni-app hands over.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import test from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { compileScript, compileTemplate, parse } from '@vue/compiler-sfc'

const require = createRequire(import.meta.url)
const { BASE_URL, http, simulatedUser } = require('../../miniprogram/test/support')
const { createSandboxWx } = require('../../miniprogram/sandbox-wx')
const { createFakeUni, frameworkPhoneEvent } = require('../../miniprogram/test/platforms')

const HERE = path.dirname(fileURLToPath(import.meta.url))
const PAGE = path.join(HERE, '..', 'pages', 'auth.vue')
const KIT = pathToFileURL(path.join(HERE, '..', '..', 'miniprogram', 'wxauth.js')).href
const UPLOADED_AVATAR = 'https://cdn.example.com/avatars/7.png'

function compiled() {
  const { descriptor, errors } = parse(fs.readFileSync(PAGE, 'utf8'), { filename: PAGE })
  assert.deepEqual(errors, [])
  const script = compileScript(descriptor, { id: 'auth' })
  const template = compileTemplate({ source: descriptor.template.content, filename: PAGE, id: 'auth' })
  assert.deepEqual(template.errors, [])
  return { descriptor, script }
}

/** The page's setup() result (its refs and handlers), with `uni` as the global it reads. */
async function mountPage(uni) {
  globalThis.uni = uni
  const { script } = compiled()
  const configSource = `export const WXAUTH_URL = ${JSON.stringify(BASE_URL)}
export const AVATAR_UPLOAD_URL = 'https://upload.example.com/avatar'`
  const config = 'data:text/javascript,' + encodeURIComponent(configSource)
  const source = script.content
    .replace(/import \{ createClient \} from 'wxauth-miniprogram'/, `import __kit from ${JSON.stringify(KIT)}; const { createClient } = __kit`)
    .replace(/from '\.\.\/config\.js'/, `from ${JSON.stringify(config)}`)
  assert.notEqual(source, script.content, 'the page imports the kit and its config as expected')
  // Written beside the page so that `vue` resolves from clients/node_modules.
  const file = path.join(HERE, '..', 'pages', `.auth-${process.pid}-${Date.now()}.test-build.mjs`)
  fs.writeFileSync(file, source)
  try {
    const component = (await import(pathToFileURL(file).href)).default
    return component.setup({}, { expose() {}, emit() {}, attrs: {}, slots: {} })
  } finally {
    fs.rmSync(file)
  }
}

test('the template compiles and binds only handlers the script defines', async () => {
  const { descriptor } = compiled()
  const handlers = [...descriptor.template.content.matchAll(/@(\w+)="(\w+)"/g)].map((m) => [m[1], m[2]])
  assert.deepEqual(handlers.map(([event]) => event).sort(), [
    'chooseavatar',
    'click',
    'click',
    'getphonenumber',
    'getphonenumber',
    'submit',
  ])
  const page = await mountPage(createFakeUni(createSandboxWx({ baseUrl: BASE_URL })))
  for (const [, name] of handlers) assert.equal(typeof page[name], 'function', name)
  assert.match(descriptor.template.content, /open-type="getPhoneNumber" @getphonenumber="onGetPhoneNumber"/)
  assert.match(descriptor.template.content, /<input[^>]*type="nickname"[^>]*name="nickName"/)
  assert.match(fs.readFileSync(path.join(HERE, '..', 'config.js'), 'utf8'), /export const WXAUTH_URL = /)
})

test('login, phone by code, profile with an uploaded avatar, log out', async () => {
  const sim = await simulatedUser()
  const wx = createSandboxWx({ baseUrl: BASE_URL, openid: sim.openid })
  const uni = createFakeUni(wx)
  const uploads = []
  uni.uploadFile = (params) => {
    uploads.push([params.url, params.filePath])
    params.success({ statusCode: 200, data: JSON.stringify({ url: UPLOADED_AVATAR }) })
  }
  const page = await mountPage(uni)
  assert.equal(page.user.value, null)

  await page.onLogin()
  assert.equal(page.user.value.openid, sim.openid)
  assert.equal(page.notice.value, '')

  await page.onGetPhoneNumber(frameworkPhoneEvent(wx.deniedPhoneEvent()))
  assert.equal(page.notice.value, '未授权手机号，可稍后在此绑定')
  await page.onGetPhoneNumber(frameworkPhoneEvent(await wx.phoneCodeEvent()))
  assert.equal(page.notice.value, '手机号已绑定')
  assert.equal(page.user.value.phoneNumber, sim.phoneNumber)

  page.onChooseAvatar({ type: 'chooseavatar', detail: { avatarUrl: 'http://tmp/chosen.png' } })
  await page.onSaveProfile({ type: 'submit', detail: { value: { nickName: ' 小程 ' } } })
  assert.deepEqual(uploads, [['https://upload.example.com/avatar', 'http://tmp/chosen.png']])
  assert.equal(page.notice.value, '资料已保存')
  assert.equal(page.user.value.nickName, '小程')
  assert.equal(page.user.value.avatarUrl, UPLOADED_AVATAR)

  const token = uni.getStorageSync('wxauth.session').token
  await page.onLogout()
  assert.equal(page.user.value, null)
  assert.equal((await http('GET', '/api/me', { token })).status, 401)

  // Coming back: a page opened with a stored session shows its user without a login.
  await page.onLogin()
  const again = await mountPage(uni)
  assert.equal(again.user.value.openid, sim.openid)
})

test('an error becomes the page notice, and a double tap does one thing', async () => {
  const sim = await simulatedUser({ blocked: true })
  const wx = createSandboxWx({ baseUrl: BASE_URL, openid: sim.openid })
  const page = await mountPage(createFakeUni(wx))
  let logins = 0
  const login = globalThis.uni.login
  globalThis.uni.login = (params) => {
    logins += 1
    return login(params)
  }
  await Promise.all([page.onLogin(), page.onLogin()])
  assert.equal(logins, 1)
  assert.equal(page.notice.value, '该微信账号存在风险，暂时无法登录')
  assert.equal(page.busy.value, false)
})

test('手机号一键登录 before login binds the phone in the same request', async () => {
  const sim = await simulatedUser()
  const wx = createSandboxWx({ baseUrl: BASE_URL, openid: sim.openid })
  const page = await mountPage(createFakeUni(wx))
  await page.onLoginWithPhone(frameworkPhoneEvent(await wx.phoneCodeEvent()))
  assert.equal(page.user.value.openid, sim.openid)
  assert.equal(page.user.value.phoneNumber, sim.phoneNumber)
  assert.equal(page.notice.value, '')
})
