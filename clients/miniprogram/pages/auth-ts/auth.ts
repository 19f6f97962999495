// The sample login page in TypeScript: the same flow as pages/auth/auth.js (微信一键登录,
// phone number, avatar/nickname fill-in, logout), typed with wxauth.d.ts and WeChat's
// official typings. Its markup and style are the JS page's (auth.wxml includes it).
import type { User, WxAuthClient, WxAuthError } from '../../wxauth'

interface AppOption {
  auth: WxAuthClient
  avatarUploadUrl: string
}

const app = getApp<AppOption>()
const auth = app.auth

const DEFAULT_AVATAR =
  'https://mmbiz.qpic.cn/mmbiz/icTdbqWNOwNRna42FI242Lcia07jQodd2FJGIYQfG0LAJGFxM4FbnQP6yfMxBgJ0F3YRqJCJ1aPAK2dQagdusBZg/0'

const MESSAGES: Record<string, string> = {
  user_blocked: '该微信账号存在风险，暂时无法登录',
  invalid_code: '登录已过期，请重试',
  login_required: '请先登录，再绑定手机号',
  invalid_phone_code: '手机号授权已过期，请重新点击',
  decrypt_failed: '手机号解析失败，请重新点击',
  rate_limited: '操作太频繁，请稍后再试',
  network_error: '网络不可用，请稍后再试',
  avatar_not_uploaded: '头像上传失败，请重试',
}

interface PageData {
  user: User | null
  busy: boolean
  avatarPath: string
  defaultAvatar: string
  notice: string
}

interface PageMethods {
  onLogin(): Promise<void>
  onLoginWithPhone(e: WechatMiniprogram.ButtonGetPhoneNumber): Promise<void>
  onGetPhoneNumber(e: WechatMiniprogram.ButtonGetPhoneNumber): Promise<void>
  onChooseAvatar(e: WechatMiniprogram.CustomEvent<{ avatarUrl: string }>): void
  onSaveProfile(e: WechatMiniprogram.FormSubmit): Promise<void>
  onLogout(): Promise<void>
  onDeleteAccount(): Promise<void>
  run(action: () => Promise<unknown>): Promise<void>
}

Page<PageData, PageMethods>({
  data: { user: null, busy: false, avatarPath: '', defaultAvatar: DEFAULT_AVATAR, notice: '' },

  onLoad() {
    const session = auth.getSession()
    if (session) this.setData({ user: session.user })
  },

  onLogin() {
    return this.run(async () => {
      const session = await auth.login()
      this.setData({ user: session.user, notice: session.needsPhone ? '请绑定手机号以继续' : '' })
    })
  },

  // 手机号一键登录: login and phone in one request; a declined prompt still logs in.
  onLoginWithPhone(e) {
    return this.run(async () => {
      const session = await auth.loginWithPhone(e)
      const failed = session.phoneError && (MESSAGES[session.phoneError.error] || '手机号绑定失败，可稍后重试')
      this.setData({ user: session.user, notice: failed || (session.needsPhone ? '请绑定手机号以继续' : '') })
    })
  },

  // No wx.login here: it could change the session_key the encrypted data was sealed with.
  onGetPhoneNumber(e) {
    return this.run(async () => {
      const result = await auth.bindPhone(e)
      if (result.status === 'denied') this.setData({ notice: '未授权手机号，可稍后在此绑定' })
      else this.setData({ user: result.user, notice: '手机号已绑定' })
    })
  },

  onChooseAvatar(e) {
    this.setData({ avatarPath: e.detail.avatarUrl })
  },

  onSaveProfile(e) {
    const nickName = String(e.detail.value.nickName || '').trim()
    return this.run(async () => {
      const avatarUrl = await uploadAvatar(this.data.avatarPath)
      const user = await auth.updateProfile({ ...(nickName && { nickName }), ...(avatarUrl && { avatarUrl }) })
      this.setData({ user, avatarPath: '', notice: '资料已保存' })
    })
  },

  onLogout() {
    return this.run(async () => {
      await auth.logout().catch(() => undefined) // unreachable server: forgotten here all the same
      this.setData({ user: null, avatarPath: '', notice: '已退出登录' })
    })
  },

  // 注销账号: it cannot be undone, so the user confirms first.
  async onDeleteAccount() {
    const { confirm } = await wx.showModal({
      title: '注销账号',
      content: '账号及其手机号、资料将被删除，且无法恢复。确定注销吗？',
      confirmText: '注销',
      confirmColor: '#e64340',
    })
    if (!confirm) return
    await this.run(async () => {
      await auth.deleteAccount()
      this.setData({ user: null, avatarPath: '', notice: '账号已注销' })
    })
  },

  async run(action) {
    if (this.data.busy) return
    this.setData({ busy: true, notice: '' })
    try {
      await action()
    } catch (err) {
      this.setData({ notice: MESSAGES[(err as WxAuthError).code] || '出错了，请重试' })
    }
    this.setData({ busy: false })
  },
})

// chooseAvatar gives a temporary file on the phone: upload it and keep its URL ('' for none).
function uploadAvatar(path: string): Promise<string> {
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
        } catch {
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
