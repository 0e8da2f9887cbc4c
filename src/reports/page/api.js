// @ts-check
// The /v1 API, with the token the service may ask for: on a 401 the page asks for it once (one dialog for every
// request waiting) and keeps it in sessionStorage, for this tab only.

const tokenKey = 'tracklake.apiToken'

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

/**
 * @param {{ askToken: (refused: boolean) => Promise<string> }} options
 */
export function createApi ({ askToken }) {
  /** @type {Promise<string> | undefined} */
  let asking

  /** @param {boolean} refused */
  function newToken (refused) {
    asking ??= askToken(refused).then((token) => {
      sessionStorage.setItem(tokenKey, token)
      return token
    }).finally(() => { asking = undefined })
    return asking
  }

  /**
   * @param {'GET' | 'POST'} method
   * @param {string} path a path under the service's root, e.g. v1/reports/time
   * @param {Record<string, string | string[] | number | undefined>} [params]
   * @param {{ signal?: AbortSignal, body?: unknown }} [options]
   * @returns {Promise<any>}
   */
  async function call (method, path, params = {}, options = {}) {
    const query = new URLSearchParams()
    for (const [name, value] of Object.entries(params)) {
      for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined && one !== '') query.append(name, String(one))
    }
    const url = `${path}${query.size > 0 ? `?${query}` : ''}`
    for (;;) {
      if (asking) await asking.catch(() => {})
      const token = sessionStorage.getItem(tokenKey)
      /** @type {Record<string, string>} */
      const headers = { accept: 'application/json' }
      if (token) headers.authorization = `Bearer ${token}`
      if (options.body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(url, { method, headers, signal: options.signal, body: options.body === undefined ? undefined : JSON.stringify(options.body) })
      if (res.status === 401) {
        if (token) sessionStorage.removeItem(tokenKey)
        await newToken(token !== null)
        continue
      }
      const body = await res.json().catch(() => null)
      if (!res.ok) throw new ApiError(res.status, body?.code ?? 'HTTP_ERROR', body?.message ?? `${method} ${path} answered ${res.status}`)
      return body
    }
  }

  return {
    /** @param {string} path @param {Record<string, string | string[] | number | undefined>} [params] @param {AbortSignal} [signal] */
    get: (path, params, signal) => call('GET', path, params, { signal }),
    /** @param {string} path @param {unknown} body */
    post: (path, body) => call('POST', path, {}, { body }),
  }
}

/** @typedef {ReturnType<typeof createApi>} Api */
