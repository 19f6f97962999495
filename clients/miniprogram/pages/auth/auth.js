// The login page: 微信一键登录, phone number, avatar/nickname fill-in and logout, all
// through wxauth.js (created once in app.js). Handlers return their promise for the tests;
// the mini-program ignores it.
const app = getApp()
const auth = app.auth

// WeChat's grey default avatar (official avatar/nickname fill-in sample).
const DEFAULT_AVATAR =
  'https://mmbiz.qpic.cn/mmbiz/icTdbqWNOwNRna42FI242Lcia07jQodd2FJGIYQfG0LAJGFxM4FbnQP6yfMxBgJ0F3YRqJCJ1aPAK2dQagdusBZg/0'

const MESSAGES = {
  user_blocked: '该微信账号存在风险，暂时无法登录',
  invalid_code: '登录已过期，请重试',
  login_required: '请先登录，再绑定手机号',
  invalid_phone_code: '手机号授权已过期，请重新点击',
  decrypt_failed: '手机号解析失败，请重新点击',
  phone_unavailable: '暂时无法获取手机号',
  rate_limited: '操作太频繁，请稍后再试',
  wechat_unavailable: '微信服务繁忙，请稍后再试',
  network_error: '网络不可用，请稍后再试',
  avatar_not_uploaded: '头像上传失败，请重试',
}

Page({
  data: {
    user: null,
    busy: false,
    avatarPath: '', // the avatar just chosen, a temporary file until "保存"
    defaultAvatar: DEFAULT_AVATAR,
    notice: '',
  },

  onLoad() {
    // A token from an earlier visit is reused; no wx.login until the user asks to log in.
    const session = auth.getSession()
    if (session) this.setData({ user: session.user })
  },

  onLogin() {
    return this.run(() =>
      auth.login().then((session) => {
        this.setData({ user: session.user, notice: session.needsPhone ? '请绑定手机号以继续' : '' })
      })
    )
  },

  // 手机号一键登录: the phone button shown before login; one wx.login and one request. A
  // declined prompt still logs in, without the phone.
  onLoginWithPhone(e) {
    return this.run(() =>
      auth.loginWithPhone(e).then((session) => {
        const notice = session.phoneError ? MESSAGES[session.phoneError.error] || '手机号绑定失败，可稍后重试' : ''
        this.setData({ user: session.user, notice: notice || (session.needsPhone ? '请绑定手机号以继续' : '') })
      })
    )
  },

  // bindgetphonenumber: hand the event over as it is. No wx.login here: it could change the
  // session_key that the encrypted data was sealed with.
  onGetPhoneNumber(e) {
    return this.run(() =>
      auth.bindPhone(e).then((result) => {
        if (result.status === 'denied') this.setData({ notice: '未授权手机号，可稍后在此绑定' })
        else this.setData({ user: result.user, notice: '手机号已绑定' })
      })
    )
  },

  onChooseAvatar(e) {
    this.setData({ avatarPath: e.detail.avatarUrl })
  },

  // The nickname is read from the form submit: WeChat checks an input of type="nickname"
  // when it loses focus and may clear it, so the input's last event is not to be trusted.
  onSaveProfile(e) {
    const nickName = (e.detail.value.nickName || '').trim()
    return this.run(() =>
      uploadAvatar(this.data.avatarPath)
        .then((avatarUrl) => {
          const fields = {}
          if (nickName) fields.nickName = nickName
          if (avatarUrl) fields.avatarUrl = avatarUrl
          return auth.updateProfile(fields)
        })
        .then((user) => this.setData({ user, avatarPath: '', notice: '资料已保存' }))
    )
  },

  onLogout() {
    return this.run(() =>
      auth
        .logout()
        .catch(() => {}) // unreachable server: the session is forgotten here all the same
        .then(() => this.setData({ user: null, avatarPath: '', notice: '已退出登录' }))
    )
  },

  // 注销账号: it cannot be undone, so the user confirms first (wx.showModal).
  onDeleteAccount() {
    return confirm('注销账号', '账号及其手机号、资料将被删除，且无法恢复。确定注销吗？').then((yes) => {
      if (!yes) return undefined
      return this.run(() =>
        auth.deleteAccount().then(() => this.setData({ user: null, avatarPath: '', notice: '账号已注销' }))
      )
    })
  },

  // One action at a time (a double tap does nothing twice); errors become a notice.
  run(action) {
    if (this.data.busy) return Promise.resolve()
    this.setData({ busy: true, notice: '' })
    return action()
      .catch((err) => this.setData({ notice: MESSAGES[err.code] || '出错了，请重试' }))
      .then(() => this.setData({ busy: false }))
  },
})

// wx.showModal as a promise of the user's answer.
function confirm(title, content) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content,
      confirmText: '注销',
      confirmColor: '#e64340',
      success: (res) => resolve(!!res.confirm),
      fail: () => resolve(false),
    })
  })
}

// chooseAvatar gives a temporary file on the phone; store it where your images live and
// keep its URL. Resolves '' when no new avatar was chosen.
function uploadAvatar(path) {
  if (!path) return Promise.resolve('')
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: app.avatarUploadUrl,
      filePath: path,
      name: 'file',
      success(res) {
        let url = ''
        try {
          url = JSON.parse(res.data).url
        } catch (err) {
          // not JSON: reported below
        }
        if (res.statusCode === 200 && url) resolve(url)
        else reject(Object.assign(new Error('avatar upload failed'), { code: 'avatar_not_uploaded' }))
      },
      fail(err) {
        reject(Object.assign(new Error(err.errMsg), { code: 'avatar_not_uploaded' }))
      },
    })
  })
}
