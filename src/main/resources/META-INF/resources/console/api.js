// The console's only way in: the public API, with the pasted token as a Bearer header. The token lives in this
// tab's sessionStorage (gone when the tab closes), never in a cookie, persistent storage or a URL.
const KEY = 'sluice.token';
let unauthorized = () => {};

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export function onUnauthorized(handler) {
  unauthorized = handler;
}

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body.message || 'Request failed.');
    this.status = status;
    this.body = body;
    this.code = body.code || 'HTTP_' + status;
    this.retryAfter = retryAfter;
  }
}

export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, cache: 'no-store' };
  const t = token.get();
  if (t) init.headers.Authorization = 'Bearer ' + t;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, { code: 'NETWORK', message: 'The service cannot be reached.' });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data && typeof data === 'object' ? data
      : { code: 'HTTP_' + res.status, message: 'The service answered ' + res.status + '.' },
      res.headers.get('Retry-After'));
    if (res.status === 401) unauthorized(err);
    throw err;
  }
  return data;
}

/** A path segment or query value, encoded so that no slug or id can change the path. */
export const enc = encodeURIComponent;

/** A path part of the URL's hash, decoded; a malformed one (`%E0`) gives `fallback` instead of a stuck page. */
export function decodedOr(part, fallback) {
  try {
    return decodeURIComponent(part);
  } catch {
    return fallback;
  }
}
