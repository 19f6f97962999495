const { createClient } = require('./wxauth')

// Where your wxauth server runs (WXAUTH_SANDBOX=0 with your AppID: real wx.login codes only
// work against real WeChat). In WeChat DevTools you may tick "不校验合法域名" to try a local
// server; a released mini-program needs this HTTPS domain under 服务器域名 → request 合法域名.
const WXAUTH_URL = 'https://auth.example.com'

App({
  auth: createClient({ baseUrl: WXAUTH_URL }),
  // Where the page uploads the avatar picked with chooseAvatar (wx.uploadFile, field "file",
  // answering {"url": ...}). wxauth stores the URL; it does not host images.
  avatarUploadUrl: '',
})
