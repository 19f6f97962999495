// Type declarations for wxauth.js, the wxauth client kit (native mini-programs, uni-app, Taro).
// Written against WeChat's official typings (miniprogram-api-typings): install them beside
// the kit, as a TypeScript mini-program project does, for the WechatMiniprogram namespace.

/// <reference types="miniprogram-api-typings" />

/** The user as the API returns it. */
export interface User {
  id: number
  appid: string
  openid: string
  unionid: string | null
  nickName: string | null
  avatarUrl: string | null
  /** WeChat's code: 0 unknown, 1 male, 2 female. */
  gender: 0 | 1 | 2
  /** With its country code ("+85291234567") outside mainland China. */
  phoneNumber: string | null
  countryCode: string | null
  /** ISO 8601, UTC. */
  createdAt: string
}

/** A logged-in session: wxauth's own token, never WeChat's session_key. */
export interface Session {
  token: string
  /** ISO 8601, UTC. */
  expiresAt: string
  user: User
  isNewUser: boolean
  /** The server asks for a phone number before the user goes on (WXAUTH_REQUIRE_PHONE). */
  needsPhone: boolean
  /** This login bound the phone (loginWithPhone); false otherwise. */
  phoneBound: boolean
  /** Why loginWithPhone's phone code did not bind (the login itself succeeded). */
  phoneError?: { error: WxAuthErrorCode | (string & {}); message: string }
}

/** What the kit keeps in storage: getSession() returns it. */
export interface StoredSession {
  token: string
  expiresAt: string
  user: User
  needsPhone: boolean
  /** JWT format only (WXAUTH_TOKEN_FORMAT=jwt): single use, refreshed by the kit. */
  refreshToken?: string
  refreshExpiresAt?: string
}

/** bindPhone() resolved: the number is bound to the user. */
export interface PhoneBound {
  status: 'bound'
  phoneNumber: string
  purePhoneNumber: string
  countryCode: string
  user: User
}

/** bindPhone() resolved: the user declined to share the number. */
export interface PhoneDenied {
  status: 'denied'
  errMsg: string
}

export type BindPhoneResult = PhoneBound | PhoneDenied

/** The API's error codes, and the kit's own (network_error, wx_login_failed, login_required, phone_unavailable, avatar_not_uploaded). */
export type WxAuthErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'invalid_code'
  | 'invalid_signature'
  | 'invalid_phone_code'
  | 'decrypt_failed'
  | 'user_blocked'
  | 'unknown_app'
  | 'rate_limited'
  | 'wechat_unavailable'
  | 'wechat_misconfigured'
  | 'database_unavailable'
  | 'not_found'
  | 'method_not_allowed'
  | 'request_too_large'
  | 'unsupported_media_type'
  | 'internal_error'
  | 'http_error'
  | 'network_error'
  | 'wx_login_failed'
  | 'login_required'
  | 'phone_unavailable'
  | 'avatar_not_uploaded'

/** Every rejection of the kit: the API's `error` as `code`, the HTTP `status` (0 when none came), the body or the failure as `data`. */
export interface WxAuthError extends Error {
  name: 'WxAuthError'
  code: WxAuthErrorCode | (string & {})
  status: number
  data: unknown
}

/**
 * The part of `wx` the kit uses: login and request with success/fail callbacks (a promise
 * they also return is used too), and the synchronous storage calls. WeChat's `wx`,
 * uni-app's `uni` and Taro's `Taro` all fit; their option types differ in detail, hence `any`.
 */
export interface WxLike {
  login(options: any): unknown
  request(options: any): unknown
  getStorageSync(key: string): any
  setStorageSync(key: string, data: any): void
  removeStorageSync(key: string): void
}

export interface ClientOptions {
  /** Where wxauth runs, e.g. 'https://auth.example.com' (a 合法域名 of the mini-program). */
  baseUrl: string
  /** Which mini-program of a multi-app deployment this is (WXAUTH_APPS); the server's default otherwise. */
  appid?: string
  /** The storage key of the session; 'wxauth.session' by default. */
  storageKey?: string
  /** The platform object: `uni` in uni-app, `Taro` in Taro; the `wx` global when left out. */
  wx?: WxLike
}

export interface LoginOptions {
  /** Profile data the page already has (e.g. from a nickname/avatar fill-in), stored at login. */
  userInfo?: { nickName?: string; avatarUrl?: string; gender?: 0 | 1 | 2 }
}

export interface RequestOptions {
  /** A path on baseUrl ('/api/me') or an absolute URL. */
  url: string
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'TRACE' | 'CONNECT'
  header?: Record<string, string>
  data?: string | object | ArrayBuffer
  timeout?: number
}

export interface ProfileFields {
  nickName?: string
  /** Where the avatar was uploaded: chooseAvatar's temporary file path is refused. */
  avatarUrl?: string
}

/** The getphonenumber event, as WeChat, uni-app (`@getphonenumber`) and Taro (`onGetPhoneNumber`) hand it over. */
export type PhoneNumberEvent =
  | WechatMiniprogram.ButtonGetPhoneNumber
  | { detail: { errMsg?: string; code?: string; encryptedData?: string; iv?: string } }

/** GET /api/me/export: everything the server stores about the person (never a secret). */
export interface PersonalData {
  exportedAt: string
  user: User & { lastLoginAt: string; phoneBoundAt: string | null }
  sessions: { createdAt: string; lastSeenAt: string; expiresAt: string; revokedAt: string | null; ip: string | null; userAgent: string | null }[]
  logins: { createdAt: string; outcome: string; isNewUser: boolean; ip: string | null; userAgent: string | null }[]
  failures: { createdAt: string; kind: string; reason: string; wechatErrcode: number | null; ip: string | null; userAgent: string | null }[]
  phoneBinds: { createdAt: string; method: 'code' | 'encrypted'; ip: string | null; userAgent: string | null }[]
  /** When an operator looked at the full number (not which operator). */
  phoneReveals: { createdAt: string }[]
}

export interface WxAuthClient {
  /** Log in with a fresh wx.login code; concurrent calls share one code and one request. */
  login(options?: LoginOptions): Promise<Session>
  /** 手机号一键登录: one wx.login plus the phone button's code, one request; logs in without the phone when declined. */
  loginWithPhone(event: PhoneNumberEvent, options?: LoginOptions): Promise<Session>
  /** The stored session while it lasts; otherwise one (shared) login. */
  ensureLogin(): Promise<Session>
  /** A request with the Bearer token; on 401 invalid_token, one login and one replay. Resolves the 2xx body. */
  request<T = any>(options: RequestOptions): Promise<T>
  /** Bind the phone from the getphonenumber event: by its code, or by legacy encryptedData/iv. */
  bindPhone(event: PhoneNumberEvent): Promise<BindPhoneResult>
  /** The avatar/nickname fill-in; resolves the updated user. */
  updateProfile(fields: ProfileFields): Promise<User>
  /** End the session on the server and forget it here (forgotten even when the server is unreachable). */
  logout(): Promise<void>
  /** Everything the server stores about the person (GET /api/me/export). */
  exportData(): Promise<PersonalData>
  /** 注销账号: delete the account (DELETE /api/me) and forget the session here; a later login is a new user. */
  deleteAccount(): Promise<void>
  /** The stored session, or null; no network. */
  getSession(): StoredSession | null
}

export function createClient(options: ClientOptions): WxAuthClient

export function wxAuthError(code: string, message: string, status?: number, data?: unknown): WxAuthError
