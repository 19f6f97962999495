// uni-app's `uni` and Taro's `Taro` as the kit meets them on WeChat, over the sandbox `wx`
// (real codes, real HTTP). What differs from `wx`, and what these fakes reproduce:
// - uni-app: an API called with success/fail callbacks returns no promise (uni.request a
//   RequestTask); called without any, it returns a promise (Vue 3: of the result; Vue 2: of
//   [err, res]). uni.login takes a `provider` ('weixin'). Storage answers '' for a missing key.
// - Taro: every API returns a promise AND calls the callbacks; a failure also rejects that
//   promise, which is an unhandled rejection unless someone handles it. Taro.request's
//   promise carries abort(). Storage answers '' for a missing key.
// - The phone button's event: uni-app's @getphonenumber and Taro's onGetPhoneNumber hand
//   over { type, detail: { errMsg, code?, encryptedData, iv } } (Taro adds currentTarget etc.).
'use strict'

const CALLBACKS = ['success', 'fail', 'complete']

function hasCallbacks(params) {
  return !!params && CALLBACKS.some((name) => typeof params[name] === 'function')
}

/** Call a wx-style API and settle a promise from its callbacks. */
function viaCallbacks(wx, name, params) {
  return new Promise((resolve, reject) => wx[name](Object.assign({}, params, { success: resolve, fail: reject })))
}

/**
 * uni on WeChat (`vue`: 3 or 2, which decides the promise's shape). `provider` is required
 * by uni.login on other platforms; on WeChat it must be 'weixin' when given.
 */
function createFakeUni(wx, { vue = 3 } = {}) {
  function promisified(name, check) {
    return function (params) {
      const problem = check && check(params || {})
      if (hasCallbacks(params)) {
        if (problem) {
          params.fail && params.fail({ errMsg: `${name}:fail ${problem}` })
          return undefined
        }
        const task = wx[name](Object.assign({}, params, {
          success: (res) => { params.success && params.success(res); params.complete && params.complete(res) },
          fail: (err) => { params.fail && params.fail(err); params.complete && params.complete(err) },
        }))
        return name === 'request' ? task : undefined
      }
      const result = problem ? Promise.reject({ errMsg: `${name}:fail ${problem}` }) : viaCallbacks(wx, name, params)
      return vue === 2 ? result.then((res) => [null, res], (err) => [err, undefined]) : result
    }
  }
  return {
    login: promisified('login', (p) => (p.provider && p.provider !== 'weixin' ? `provider ${p.provider}` : '')),
    request: promisified('request'),
    getStorageSync: (key) => wx.getStorageSync(key),
    setStorageSync: (key, value) => wx.setStorageSync(key, value),
    removeStorageSync: (key) => wx.removeStorageSync(key),
    uploadFile: (params) => wx.uploadFile(params),
  }
}

/** Taro on WeChat: promises from every call, callbacks as well. */
function createFakeTaro(wx) {
  function both(name) {
    return function (params = {}) {
      let task
      const promise = new Promise((resolve, reject) => {
        task = wx[name](Object.assign({}, params, {
          success: (res) => { params.success && params.success(res); resolve(res) },
          fail: (err) => { params.fail && params.fail(err); reject(err) },
        }))
      })
      if (name === 'request') promise.abort = () => task && task.abort && task.abort()
      return promise
    }
  }
  return {
    login: both('login'),
    request: both('request'),
    getStorageSync: (key) => wx.getStorageSync(key),
    setStorageSync: (key, value) => wx.setStorageSync(key, value),
    removeStorageSync: (key) => wx.removeStorageSync(key),
    uploadFile: both('uploadFile'),
  }
}

/** The phone button's event as uni-app and Taro hand it to the page, around a `wx` event's detail. */
function frameworkPhoneEvent(wxEvent) {
  return { type: 'getphonenumber', timeStamp: Date.now(), target: {}, currentTarget: {}, detail: wxEvent.detail }
}

module.exports = { createFakeUni, createFakeTaro, frameworkPhoneEvent }
