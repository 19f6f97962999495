// co-wechat-api (node-webot), a widely used Node WeChat SDK, against the sandbox over real
// HTTP, doing what its users do: the access_token (and its refresh when WeChat says it is
// no longer valid), code2Session, and the phone-number exchange through the SDK's own
// request path. Its users point it elsewhere by setting its URL prefixes, as done here.
// (It has no decryptor or rawData helper; wechatpy's are covered in tests/sandbox.)
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const WechatAPI = require('co-wechat-api')
const { postJSON } = require('co-wechat-api/lib/util')
const { BASE_URL, http, simulatedUser } = require('./support')

const SANDBOX_APPID = 'wx5a4d8b0c0de5a4d0'
const SANDBOX_SECRET = 'sandbox-demo-secret-0000000000000'

function sdk() {
  const api = new WechatAPI(SANDBOX_APPID, SANDBOX_SECRET)
  const wechat = BASE_URL + '/_sandbox/wechat/'
  api.prefix = wechat + 'cgi-bin/'
  api.snsPrefix = wechat + 'sns/'
  api.wxaPrefix = wechat + 'wxa/'
  return api
}

async function sandbox(path, body) {
  const res = await http('POST', '/_sandbox/api/' + path, { body })
  assert.ok(res.status < 300, JSON.stringify(res.body))
  return res.body
}

test('co-wechat-api: the access_token, and its refresh after WeChat invalidates it', async () => {
  const api = sdk()
  const token = await api.ensureAccessToken()
  assert.ok(token.accessToken && token.isValid())
  assert.equal((await api.ensureAccessToken()).accessToken, token.accessToken) // cached

  // WeChat invalidates it (a newer token elsewhere): the next call answers 40001, and the
  // SDK fetches a new token and replays the call once.
  await sandbox('access-tokens/expire', { invalidate: true })
  const user = await simulatedUser()
  const { code } = await sandbox('phone-code', { openid: user.openid })
  const url = () => api.wxaPrefix + 'business/getuserphonenumber?access_token=' + token.accessToken
  const answer = await api.request(url(), postJSON({ code }))
  assert.equal(answer.phone_info.purePhoneNumber, user.phoneNumber)
  assert.notEqual((await api.getToken()).accessToken, token.accessToken)
})

test('co-wechat-api: code2Session, and WeChat errors as the SDK raises them', async () => {
  const api = sdk()
  const user = await simulatedUser({ unionid: 'oUnionNodeSdk' })
  const { code } = await sandbox('login-code', { openid: user.openid })
  const session = await api.code2Session(code)
  assert.equal(session.openid, user.openid)
  assert.equal(session.unionid, 'oUnionNodeSdk')
  assert.equal(Buffer.from(session.session_key, 'base64').length, 16)
  await assert.rejects(api.code2Session(code), { name: 'WeChatAPIError', code: 40163 })
  await assert.rejects(api.code2Session('not-a-code'), { name: 'WeChatAPIError', code: 40029 })
})

test('co-wechat-api: the phone-number exchange through its request path', async () => {
  const api = sdk()
  const user = await simulatedUser()
  const { code } = await sandbox('phone-code', { openid: user.openid })
  const { accessToken } = await api.ensureAccessToken()
  const answer = await api.request(api.wxaPrefix + 'business/getuserphonenumber?access_token=' + accessToken, postJSON({ code }))
  assert.equal(answer.errcode, 0)
  assert.equal(answer.phone_info.purePhoneNumber, user.phoneNumber)
  assert.equal(answer.phone_info.watermark.appid, SANDBOX_APPID)
  await assert.rejects(
    api.request(api.wxaPrefix + 'business/getuserphonenumber?access_token=' + accessToken, postJSON({ code })),
    { name: 'WeChatAPIError' }
  )
})
