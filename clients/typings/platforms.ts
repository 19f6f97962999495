// uni-app's `uni` and Taro's `Taro`, as their own typings declare them, fit the kit's `wx`
// option (tsc -p clients, which scripts/test-client runs).
import Taro from '@tarojs/taro'
import { createClient, type WxAuthClient, type WxLike } from '../miniprogram/wxauth'

const platforms: WxLike[] = [uni, Taro]
export const clients: WxAuthClient[] = platforms.map((wx) => createClient({ baseUrl: 'https://auth.example.com', wx }))
