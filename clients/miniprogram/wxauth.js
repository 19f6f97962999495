/**
 * wxauth client kit for WeChat mini-programs: login, phone number, profile and logout
 * against a wxauth server. One file, no dependencies, CommonJS, Promises.
 *
 *   const { createClient } = require('./wxauth')
 *   const auth = createClient({ baseUrl: 'https://auth.example.com' })
 *   const session = await auth.ensureLogin()          // { token, user, needsPhone, ... }
 *   const { user } = await auth.request({ url: '/api/me' })
 *
 * What it gets right that copied snippets often do not:
 * - the WeChat session_key never reaches the mini-program; only wxauth's own token does;
 * - a wx.login code is used once: concurrent logins share one wx.login and one request;
 * - a 401 invalid_token logs in again once and replays the request once;
 * - with JWT tokens (WXAUTH_TOKEN_FORMAT=jwt) it refreshes before expiry and on a 401,
 *   one refresh at a time (a refresh token works once: a second use ends the session);
 * - bindPhone never calls wx.login: that could rotate the session_key and make the
 *   legacy encryptedData undecryptable.
 *
 * Written in the ES2015 subset every base library runs (no async/await, no class
 * inheritance), so it needs no build step. It runs unchanged on uni-app and Taro:
 * createClient({ baseUrl, wx: uni }) or { wx: Taro }. Types: wxauth.d.ts.
 */
'use strict'

/** @typedef {import('./wxauth').Session} Session */
/** @typedef {import('./wxauth').StoredSession} StoredSession */
/** @typedef {import('./wxauth').User} User */
/** @typedef {import('./wxauth').WxLike} WxLike */
/** @typedef {import('./wxauth').RequestOptions} RequestOptions */
/** @typedef {import('./wxauth').PhoneBound} PhoneBound */
/** @typedef {{ statusCode: number, data: any }} Response */

const DEFAULT_STORAGE_KEY = 'wxauth.session'
// Log in again slightly before the server's expiry rather than send a dying token.
const EXPIRY_MARGIN_MS = 60 * 1000
// Temporary files from <button open-type="chooseAvatar">: they only exist on this device.
const LOCAL_FILE = /^(wxfile:|https?:\/\/(tmp|usr)\/)/

/**
 * An Error with the API's error `code`, the HTTP `status` (0 when none) and the body.
 * @param {string} code
 * @param {string} message
 * @param {number} [status]
 * @param {unknown} [data]
 * @returns {import('./wxauth').WxAuthError}
 */
function wxAuthError(code, message, status, data) {
  const err = /** @type {import('./wxauth').WxAuthError} */ (new Error(message))
  err.name = 'WxAuthError'
  err.code = code
  err.status = status || 0
  err.data = data
  return err
}

/**
 * @param {import('./wxauth').ClientOptions} options
 * @returns {import('./wxauth').WxAuthClient}
 */
function createClient(options) {
  const opts = options || {}
  if (!opts.baseUrl) throw new TypeError('createClient needs a baseUrl')
  const baseUrl = String(opts.baseUrl).replace(/\/+$/, '')
  const storageKey = opts.storageKey || DEFAULT_STORAGE_KEY
  /** @type {Promise<Session> | null} */
  let loginInFlight = null

  /** @returns {WxLike} */
  function wxApi() {
    if (opts.wx) return opts.wx
    if (typeof wx !== 'undefined') return wx // eslint-disable-line no-undef -- the mini-program global
    throw new Error('wxauth: no wx object; run inside a mini-program or pass createClient({ wx })')
  }

  /**
   * Call a wx-style API with success/fail callbacks, and settle on whichever answer comes
   * first: the callbacks, or the promise that Taro returns as well (uni-app returns one
   * only without callbacks; for Vue 2 it resolves [err, res]). Either way nothing is left
   * unhandled, and a rejection of that promise is not lost.
   * @param {'login' | 'request'} name
   * @param {object} params
   * @returns {Promise<any>}
   */
  function callApi(name, params) {
    return new Promise(function (resolve, reject) {
      let settled = false
      /** @param {(value: any) => void} settle @param {any} value */
      function once(settle, value) {
        if (settled) return
        settled = true
        settle(value)
      }
      const full = Object.assign({}, params, {
        success: /** @param {any} res */ function (res) {
          once(resolve, res)
        },
        fail: /** @param {any} err */ function (err) {
          once(reject, err)
        },
      })
      /** @type {any} */
      let returned
      try {
        const api = /** @type {any} */ (wxApi())
        returned = api[name](full)
      } catch (err) {
        once(reject, err)
        return
      }
      if (returned && typeof returned.then === 'function') {
        returned.then(
          /** @param {any} res */ function (res) {
            if (Array.isArray(res) && res.length === 2) {
              if (res[0]) once(reject, res[0])
              else once(resolve, res[1])
            } else {
              once(resolve, res)
            }
          },
          /** @param {any} err */ function (err) {
            once(reject, err)
          }
        )
      }
    })
  }

  // -- the stored session: { token, expiresAt, user, needsPhone[, refreshToken, refreshExpiresAt] }

  /** @returns {StoredSession | null} */
  function readSession() {
    /** @type {any} */
    let stored
    try {
      stored = wxApi().getStorageSync(storageKey)
    } catch (e) {
      return null
    }
    return stored && typeof stored.token === 'string' ? stored : null
  }

  /** @returns {StoredSession | null} */
  function usableSession() {
    const session = readSession()
    if (!session) return null
    const expires = Date.parse(session.expiresAt)
    return !expires || expires - EXPIRY_MARGIN_MS > Date.now() ? session : null
  }

  /** @param {StoredSession} session */
  function saveSession(session) {
    wxApi().setStorageSync(storageKey, session)
    return session
  }

  function forgetSession() {
    try {
      wxApi().removeStorageSync(storageKey)
    } catch (e) {
      // storage unavailable: nothing stored to forget
    }
  }

  /** @param {User} user @param {Partial<StoredSession>} [extra] */
  function updateStoredUser(user, extra) {
    const session = readSession()
    if (session) saveSession(Object.assign({}, session, { user: user }, extra))
  }

  // -- transport ---------------------------------------------------------------------

  /**
   * wx.request as a Promise: resolves with every HTTP answer, rejects only when none came.
   * @param {RequestOptions} options
   * @param {string} [token]
   * @returns {Promise<Response>}
   */
  function send(options, token) {
    /** @type {Record<string, string>} */
    const header = Object.assign({}, options.header)
    if (token) header.Authorization = 'Bearer ' + token
    /** @type {Record<string, unknown>} */
    const params = {
      url: /^https?:\/\//.test(options.url) ? options.url : baseUrl + options.url,
      method: (options.method || 'GET').toUpperCase(),
      header: header,
      dataType: 'json',
    }
    if (options.data !== undefined) params.data = options.data
    if (options.timeout !== undefined) params.timeout = options.timeout
    return callApi('request', params).catch(function (err) {
      throw wxAuthError('network_error', (err && err.errMsg) || 'request:fail', 0, err)
    })
  }

  /**
   * The body of a 2xx answer, or a WxAuthError carrying the API's {error, message}.
   * @param {Response} res
   * @returns {any}
   */
  function unwrap(res) {
    const data = res.data
    if (res.statusCode >= 200 && res.statusCode < 300) return data
    const body = data && typeof data === 'object' ? data : {}
    throw wxAuthError(body.error || 'http_error', body.message || 'HTTP ' + res.statusCode, res.statusCode, data)
  }

  /** @param {Response} res */
  function isInvalidToken(res) {
    return res.statusCode === 401 && !!res.data && res.data.error === 'invalid_token'
  }

  // -- login ---------------------------------------------------------------------------

  /** @returns {Promise<string>} */
  function wxLogin() {
    // provider: what uni-app needs outside WeChat's own runtime; wx.login and Taro ignore it.
    return callApi('login', { provider: 'weixin' }).then(
      function (res) {
        if (res && res.code) return res.code
        throw wxAuthError('wx_login_failed', (res && res.errMsg) || 'wx.login gave no code')
      },
      function (err) {
        throw wxAuthError('wx_login_failed', (err && err.errMsg) || 'wx.login failed', 0, err)
      }
    )
  }

  /**
   * @param {import('./wxauth').LoginOptions & { phoneCode?: string }} loginOptions
   * @returns {Promise<Session>}
   */
  function loginOnce(loginOptions) {
    return wxLogin()
      .then(function (code) {
        /** @type {Record<string, unknown>} */
        const body = { code: code }
        if (opts.appid) body.appid = opts.appid
        if (loginOptions.userInfo) body.userInfo = loginOptions.userInfo
        if (loginOptions.phoneCode) body.phoneCode = loginOptions.phoneCode
        return send({ url: '/api/auth/login', method: 'POST', data: body })
      })
      .then(function (res) {
        const data = unwrap(res)
        /** @type {StoredSession} */
        const stored = { token: data.token, expiresAt: data.expiresAt, user: data.user, needsPhone: data.needsPhone }
        if (data.refreshToken) {
          stored.refreshToken = data.refreshToken
          stored.refreshExpiresAt = data.refreshExpiresAt
        }
        saveSession(stored)
        /** @type {Session} */
        const session = {
          token: data.token,
          expiresAt: data.expiresAt,
          user: data.user,
          isNewUser: data.isNewUser,
          needsPhone: data.needsPhone,
          phoneBound: !!data.phoneBound,
        }
        if (data.phoneError) session.phoneError = data.phoneError
        return session
      })
  }

  /**
   * Log in with a fresh wx.login code. Calls made while a login is in flight share it:
   * a double tap, or ten requests finding no token, cost one code and one server login.
   */
  /**
   * @param {import('./wxauth').LoginOptions & { phoneCode?: string }} [loginOptions]
   * @returns {Promise<Session>}
   */
  function login(loginOptions) {
    if (!loginInFlight) {
      loginInFlight = loginOnce(loginOptions || {}).then(
        function (session) {
          loginInFlight = null
          return session
        },
        function (err) {
          loginInFlight = null
          throw err
        }
      )
    }
    return loginInFlight
  }

  /**
   * The stored session while it lasts; otherwise one (shared) login.
   * @returns {Promise<Session>}
   */
  function ensureLogin() {
    const session = usableSession()
    if (session) return Promise.resolve(asSession(session))
    const stored = readSession()
    if (refreshable(stored)) return refreshOrLogin(/** @type {StoredSession} */ (stored))
    return login()
  }

  /** @param {StoredSession} session @returns {Session} */
  function asSession(session) {
    return {
      token: session.token,
      expiresAt: session.expiresAt,
      user: session.user,
      isNewUser: false,
      needsPhone: !!session.needsPhone,
      phoneBound: false,
    }
  }

  /**
   * After `staleToken` was refused: refresh (JWT) or log in again, unless another call
   * already did.
   * @param {string} staleToken
   * @returns {Promise<Session>}
   */
  function renew(staleToken) {
    const session = readSession()
    if (session && session.token !== staleToken) return ensureLogin()
    if (refreshable(session)) return refreshOrLogin(/** @type {StoredSession} */ (session))
    forgetSession()
    return login()
  }

  // -- refresh (JWT format) --------------------------------------------------------------

  /** @param {StoredSession | null} session */
  function refreshable(session) {
    if (!session || !session.refreshToken) return false
    const expires = Date.parse(session.refreshExpiresAt || '')
    return !expires || expires - EXPIRY_MARGIN_MS > Date.now()
  }

  /** @type {Promise<StoredSession> | null} */
  let refreshInFlight = null

  /**
   * Trade the stored refresh token for a new pair. One at a time: a refresh token works
   * once, and the server ends the whole session when one is presented twice.
   * @param {StoredSession} session
   * @returns {Promise<StoredSession>}
   */
  function refresh(session) {
    if (!refreshInFlight) {
      refreshInFlight = send({ url: '/api/auth/refresh', method: 'POST', data: { refreshToken: session.refreshToken } })
        .then(function (res) {
          const data = unwrap(res)
          return saveSession(
            Object.assign({}, session, {
              token: data.token,
              expiresAt: data.expiresAt,
              refreshToken: data.refreshToken,
              refreshExpiresAt: data.refreshExpiresAt,
            })
          )
        })
        .then(
          function (next) {
            refreshInFlight = null
            return next
          },
          function (err) {
            refreshInFlight = null
            throw err
          }
        )
    }
    return refreshInFlight
  }

  /**
   * Refresh; when the server refuses the refresh token (the session ended), log in again.
   * @param {StoredSession} session
   * @returns {Promise<Session>}
   */
  function refreshOrLogin(session) {
    return refresh(session).then(asSession, function (err) {
      if (!err || err.status !== 401) throw err
      forgetSession()
      return login()
    })
  }

  /**
   * wx.request with the Bearer token. On 401 invalid_token it logs in again once and
   * replays once. Resolves with the response body of a 2xx; rejects with a WxAuthError.
   * @param {RequestOptions} options
   * @returns {Promise<any>}
   */
  function request(options) {
    /** @type {string} */
    let token = ''
    return ensureLogin()
      .then(function (session) {
        token = session.token
        return send(options, token)
      })
      .then(function (res) {
        if (!isInvalidToken(res)) return res
        return renew(token).then(function (session) {
          return send(options, session.token)
        })
      })
      .then(unwrap)
  }

  // -- phone number --------------------------------------------------------------------

  /**
   * @param {any} data
   * @returns {PhoneBound}
   */
  function phoneBound(data) {
    updateStoredUser(data.user, { needsPhone: false })
    return {
      status: 'bound',
      phoneNumber: data.phoneNumber,
      purePhoneNumber: data.purePhoneNumber,
      countryCode: data.countryCode,
      user: data.user,
    }
  }

  /**
   * @param {{ encryptedData: string, iv: string }} detail
   * @returns {Promise<PhoneBound>}
   */
  function bindByEncryptedData(detail) {
    // The data is sealed with the session_key WeChat holds right now, which is the one the
    // server got at the last login. wx.login here could rotate it and make the data
    // undecryptable, so this path uses the stored token or nothing.
    const session = usableSession()
    const loginFirst = 'Log in before the phone button is tapped, then have the user tap it again.'
    if (!session) return Promise.reject(wxAuthError('login_required', loginFirst, 401))
    return send(
      { url: '/api/auth/phone', method: 'POST', data: { encryptedData: detail.encryptedData, iv: detail.iv } },
      session.token
    ).then(function (res) {
      if (isInvalidToken(res)) {
        forgetSession()
        throw wxAuthError('login_required', 'The session ended. ' + loginFirst, 401, res.data)
      }
      if (res.statusCode === 422 && res.data && res.data.reason === 'stale_session_key') {
        // WeChat confirmed the server's session_key is dead: a login now stores the current
        // one, so the user's next tap produces data that decrypts. This tap's data cannot.
        const err = wxAuthError('decrypt_failed', res.data.message, 422, res.data)
        return login().then(function () {
          throw err
        })
      }
      return phoneBound(unwrap(res))
    })
  }

  /**
   * 手机号一键登录: log in and bind the phone in one request, from the getphonenumber event of
   * a phone button shown before login (one wx.login, the event's code). Resolves the session
   * with `phoneBound`, and `phoneError` when the number could not be bound (the login stands).
   * When the user declines, or the event has no code, it logs in without the phone.
   * @param {import('./wxauth').PhoneNumberEvent} event
   * @param {import('./wxauth').LoginOptions} [loginOptions]
   * @returns {Promise<Session>}
   */
  function loginWithPhone(event, loginOptions) {
    const detail = (event && event.detail) || {}
    const code = /deny|cancel/i.test(detail.errMsg || '') ? undefined : detail.code
    return login(Object.assign({}, loginOptions, code ? { phoneCode: code } : {}))
  }

  /**
   * Bind the phone number from a `bindgetphonenumber` event. Prefers detail.code (no
   * session_key involved); falls back to detail.encryptedData/iv. Resolves
   * { status: 'bound', phoneNumber, ... } or { status: 'denied', errMsg } when the user
   * said no; rejects with a WxAuthError otherwise. The event may come from WeChat,
   * uni-app's @getphonenumber or Taro's onGetPhoneNumber: all carry `detail`.
   * @param {import('./wxauth').PhoneNumberEvent} event
   * @returns {Promise<import('./wxauth').BindPhoneResult>}
   */
  function bindPhone(event) {
    /** @type {{ errMsg?: string, code?: string, encryptedData?: string, iv?: string }} */
    const detail = (event && event.detail) || {}
    const errMsg = detail.errMsg || ''
    if (/deny|cancel/i.test(errMsg)) return Promise.resolve({ status: 'denied', errMsg: errMsg })
    if (detail.code) {
      // A 401 is answered before WeChat sees the code, so the replay can still use it.
      return request({ url: '/api/auth/phone', method: 'POST', data: { code: detail.code } }).then(phoneBound)
    }
    if (detail.encryptedData && detail.iv) return bindByEncryptedData({ encryptedData: detail.encryptedData, iv: detail.iv })
    return Promise.reject(
      wxAuthError('phone_unavailable', errMsg || 'The getphonenumber event has neither a code nor encryptedData.', 0, detail)
    )
  }

  // -- profile and logout ----------------------------------------------------------------

  /**
   * The avatar/nickname fill-in. `avatarUrl` must be where you stored the image: the path
   * chooseAvatar gives is a temporary file on the phone, so upload it (wx.uploadFile) first.
   * Resolves with the updated user.
   * @param {import('./wxauth').ProfileFields} fields
   * @returns {Promise<User>}
   */
  function updateProfile(fields) {
    /** @type {Record<string, string>} */
    const body = {}
    const f = fields || {}
    if (f.nickName !== undefined) body.nickName = f.nickName
    if (f.avatarUrl !== undefined) {
      if (LOCAL_FILE.test(f.avatarUrl)) {
        return Promise.reject(
          wxAuthError('avatar_not_uploaded', 'avatarUrl is a temporary file on the phone: upload it and send its URL.')
        )
      }
      body.avatarUrl = f.avatarUrl
    }
    if (!Object.keys(body).length) {
      return Promise.reject(wxAuthError('invalid_request', 'Give nickName and/or avatarUrl.'))
    }
    // PUT, not PATCH: wx.request cannot send PATCH.
    return request({ url: '/api/me', method: 'PUT', data: body }).then(/** @param {{ user: User }} data */ function (data) {
      updateStoredUser(data.user)
      return data.user
    })
  }

  /**
   * End the session on the server and forget it here. The local session is gone even if
   * the server cannot be reached (then the promise rejects, so the caller can say so).
   * @returns {Promise<void>}
   */
  function logout() {
    const session = readSession()
    forgetSession()
    if (!session) return Promise.resolve()
    return send({ url: '/api/auth/logout', method: 'POST' }, session.token).then(function (res) {
      if (!isInvalidToken(res)) unwrap(res) // an already-ended session is logged out too
    })
  }

  /**
   * Everything the server stores about the person, as one document (GET /api/me/export).
   * @returns {Promise<import('./wxauth').PersonalData>}
   */
  function exportData() {
    return request({ url: '/api/me/export' })
  }

  /**
   * 注销账号: delete the account on the server (DELETE /api/me), then forget the session
   * here. Ask the user to confirm first: it cannot be undone. A later login is a new user.
   * @returns {Promise<void>}
   */
  function deleteAccount() {
    return request({ url: '/api/me', method: 'DELETE' }).then(function () {
      forgetSession()
    })
  }

  /**
   * The stored session ({ token, expiresAt, user, needsPhone }) or null; no network.
   * @returns {StoredSession | null}
   */
  function getSession() {
    return usableSession()
  }

  return {
    login: login,
    loginWithPhone: loginWithPhone,
    ensureLogin: ensureLogin,
    request: request,
    bindPhone: bindPhone,
    updateProfile: updateProfile,
    logout: logout,
    exportData: exportData,
    deleteAccount: deleteAccount,
    getSession: getSession,
  }
}

// CommonJS in mini-programs and Node; a plain <script> (the sandbox simulator) gets globals.
if (typeof module !== 'undefined' && module.exports) {
  module.exports = { createClient: createClient, wxAuthError: wxAuthError }
}
