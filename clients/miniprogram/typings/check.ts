// Compile-time checks of wxauth.d.ts (tsc -p clients/miniprogram): every export, option and
// resolved shape is used as a caller would, and the misuses the types exist to catch fail
// (each @ts-expect-error must have an error under it, or tsc fails).
import {
  createClient,
  wxAuthError,
  type BindPhoneResult,
  type PhoneNumberEvent,
  type Session,
  type StoredSession,
  type User,
  type WxAuthClient,
  type WxAuthError,
  type WxLike,
} from '../wxauth'

// WeChat's own `wx` fits the `wx` option (uni-app's and Taro's: clients/typings/platforms.ts).
const platform: WxLike = wx
const clients: WxAuthClient[] = [createClient({ baseUrl: 'https://auth.example.com', wx: platform })]
const auth = createClient({ baseUrl: 'https://auth.example.com', appid: 'wx123', storageKey: 'my.session' })

// @ts-expect-error baseUrl is required
createClient({})
// @ts-expect-error an object without login/request is not a wx
createClient({ baseUrl: 'https://auth.example.com', wx: {} })

async function flows(phoneEvent: WechatMiniprogram.ButtonGetPhoneNumber): Promise<void> {
  const session: Session = await auth.login({ userInfo: { nickName: '小明', avatarUrl: 'https://cdn.example.com/a.png' } })
  const token: string = session.token
  const isNew: boolean = session.isNewUser
  const user: User = session.user
  const openid: string = user.openid
  const phone: string | null = user.phoneNumber
  // @ts-expect-error the phone may be missing
  const surely: string = user.phoneNumber
  await auth.ensureLogin()
  const oneTap = await auth.loginWithPhone(phoneEvent)
  const bound: boolean = oneTap.phoneBound
  if (oneTap.phoneError) {
    const why: string = oneTap.phoneError.error
    void why
  }
  void bound

  const me = await auth.request<{ user: User }>({ url: '/api/me' })
  const nickName: string | null = me.user.nickName
  // @ts-expect-error wx.request cannot send PATCH
  await auth.request({ url: '/api/me', method: 'PATCH' })

  const result: BindPhoneResult = await auth.bindPhone(phoneEvent)
  if (result.status === 'bound') {
    const bound: string = result.purePhoneNumber
    void bound
  } else {
    const why: string = result.errMsg
    // @ts-expect-error a denied result has no user
    void result.user
    void why
  }
  // uni-app's @getphonenumber and Taro's onGetPhoneNumber events fit too.
  const uniEvent: PhoneNumberEvent = { detail: { errMsg: 'getPhoneNumber:ok', code: 'abc' } }
  await auth.bindPhone(uniEvent)

  const updated: User = await auth.updateProfile({ nickName: '新名字' })
  // @ts-expect-error the field is nickName, as WeChat spells it
  await auth.updateProfile({ nickname: 'x' })
  const mine = await auth.exportData()
  const when: string = mine.phoneReveals[0].createdAt
  // @ts-expect-error the export never carries which operator looked
  void mine.phoneReveals[0].operator
  void when
  await auth.deleteAccount()
  await auth.logout()
  const stored: StoredSession | null = auth.getSession()

  try {
    await auth.login()
  } catch (caught) {
    const err = caught as WxAuthError
    const code: string = err.code
    const status: number = err.status
    void code
    void status
  }
  const made: WxAuthError = wxAuthError('network_error', 'request:fail')
  void [token, isNew, openid, phone, surely, nickName, updated, stored, made, clients]
}
void flows
