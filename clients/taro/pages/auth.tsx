// The sample login page for Taro (React): the same flow as the native page
// (clients/miniprogram/pages/auth): 微信一键登录, the phone button, avatar/nickname fill-in,
// logout. The kit runs unchanged on Taro: createClient({ baseUrl, wx: Taro }).
import { Button, Form, Image, Input, Text, View } from '@tarojs/components'
import type { BaseEventOrig, ButtonProps, FormProps } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useState } from 'react'
import { createClient, type User, type WxAuthError } from 'wxauth-miniprogram'

const auth = createClient({ baseUrl: 'https://auth.example.com', wx: Taro })
// Where the avatar picked with chooseAvatar is uploaded (field "file", answering {"url": ...}):
// wxauth stores the URL; it does not host images.
const AVATAR_UPLOAD_URL = 'https://auth.example.com/your-upload-endpoint'

const MESSAGES: Record<string, string> = {
  user_blocked: '该微信账号存在风险，暂时无法登录',
  invalid_code: '登录已过期，请重试',
  login_required: '请先登录，再绑定手机号',
  invalid_phone_code: '手机号授权已过期，请重新点击',
  decrypt_failed: '手机号解析失败，请重新点击',
  network_error: '网络不可用，请稍后再试',
  avatar_not_uploaded: '头像上传失败，请重试',
}

export default function AuthPage() {
  const [user, setUser] = useState<User | null>(() => auth.getSession()?.user ?? null)
  const [avatarPath, setAvatarPath] = useState('') // the avatar just chosen: a temporary file until 保存
  const [notice, setNotice] = useState('')
  const [busy, setBusy] = useState(false)

  // One action at a time (a double tap does nothing twice); errors become a notice.
  async function run(action: () => Promise<void>) {
    if (busy) return
    setBusy(true)
    setNotice('')
    try {
      await action()
    } catch (err) {
      setNotice(MESSAGES[(err as WxAuthError).code] || '出错了，请重试')
    }
    setBusy(false)
  }

  const onLogin = () =>
    run(async () => {
      const session = await auth.login()
      setUser(session.user)
      if (session.needsPhone) setNotice('请绑定手机号以继续')
    })

  // 手机号一键登录: login and phone in one request; a declined prompt still logs in.
  const onLoginWithPhone = (e: BaseEventOrig<ButtonProps.onGetPhoneNumberEventDetail>) =>
    run(async () => {
      const session = await auth.loginWithPhone(e)
      setUser(session.user)
      if (session.phoneError) setNotice(MESSAGES[session.phoneError.error] || '手机号绑定失败，可稍后重试')
      else if (session.needsPhone) setNotice('请绑定手机号以继续')
    })

  // Hand the event over as it is; no Taro.login here (it could change the session_key).
  const onGetPhoneNumber = (e: BaseEventOrig<ButtonProps.onGetPhoneNumberEventDetail>) =>
    run(async () => {
      const result = await auth.bindPhone(e)
      if (result.status === 'denied') setNotice('未授权手机号，可稍后在此绑定')
      else {
        setUser(result.user)
        setNotice('手机号已绑定')
      }
    })

  const onSaveProfile = (e: BaseEventOrig<FormProps.onSubmitEventDetail>) =>
    run(async () => {
      const nickName = String(e.detail.value?.nickName ?? '').trim()
      const avatarUrl = await uploadAvatar(avatarPath)
      setUser(await auth.updateProfile({ ...(nickName && { nickName }), ...(avatarUrl && { avatarUrl }) }))
      setAvatarPath('')
      setNotice('资料已保存')
    })

  const onLogout = () =>
    run(async () => {
      await auth.logout().catch(() => undefined) // unreachable server: forgotten here all the same
      setUser(null)
      setNotice('已退出登录')
    })

  if (!user) {
    return (
      <View className='auth'>
        <Button type='primary' openType='getPhoneNumber' loading={busy} onGetPhoneNumber={onLoginWithPhone}>
          手机号一键登录
        </Button>
        <Button onClick={onLogin}>微信一键登录</Button>
        {notice && <Text className='notice'>{notice}</Text>}
      </View>
    )
  }
  return (
    <View className='auth'>
      <Image className='avatar' src={user.avatarUrl || ''} />
      <Text>{user.nickName || '微信用户'}</Text>
      {user.phoneNumber ? (
        <Text>{user.phoneNumber}</Text>
      ) : (
        <Button openType='getPhoneNumber' onGetPhoneNumber={onGetPhoneNumber}>
          绑定手机号
        </Button>
      )}
      <Form onSubmit={onSaveProfile}>
        <Button openType='chooseAvatar' onChooseAvatar={(e) => setAvatarPath(e.detail.avatarUrl)}>
          选择头像
        </Button>
        <Input type='nickname' name='nickName' placeholder='请输入昵称' />
        <Button formType='submit'>保存</Button>
      </Form>
      <Button onClick={onLogout}>退出登录</Button>
      {notice && <Text className='notice'>{notice}</Text>}
    </View>
  )
}

// chooseAvatar gives a temporary file on the phone: upload it and keep its URL ('' for none).
async function uploadAvatar(path: string): Promise<string> {
  if (!path) return ''
  const res = await Taro.uploadFile({ url: AVATAR_UPLOAD_URL, filePath: path, name: 'file' })
  let url = ''
  try {
    url = JSON.parse(res.data).url
  } catch {
    // not JSON: reported below
  }
  if (res.statusCode !== 200 || !url) throw Object.assign(new Error('avatar upload failed'), { code: 'avatar_not_uploaded' })
  return url
}
