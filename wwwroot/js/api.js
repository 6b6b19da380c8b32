// The hub's HTTP API from the page: same-origin fetch, so the HttpOnly session cookie authenticates every call and
// writes pass the server's same-origin check. Errors are RFC 9457 problem+json; they become ApiError.

export const MANAGEMENT = '/runtime/webhooks/durabletask';

/** An HTTP error with what the server said. `missing` is true when the route itself does not exist on this hub. */
export class ApiError extends Error {
  constructor(status, method, path, problem) {
    const missing = status === 404 && !problem;
    super(problem?.detail || problem?.title || defaultMessage(status, method, path, missing));
    this.name = 'ApiError';
    this.status = status;
    this.method = method;
    this.path = path;
    this.problem = problem;
    this.missing = missing;
    this.errors = problem?.errors ?? null;
  }
}

function defaultMessage(status, method, path, missing) {
  if (missing) {
    return `This hub does not offer ${method} ${path.split('?')[0]} yet (404). This part of the hub is still being built.`;
  }

  switch (status) {
    case 401: return 'Your link is missing or has expired.';
    case 403: return 'The hub refused this change (it must come from the hub\'s own pages).';
    case 429: return 'Too many attempts. Wait a few minutes and try again.';
    case 0: return 'The hub cannot be reached. Check your connection; the page retries on its own.';
    default: return `The hub answered ${status} to ${method} ${path}.`;
  }
}

/** Listeners told when a call answers 401 (the token was rotated or revoked while the page was open). */
const unauthorizedListeners = new Set();
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

/**
 * Calls the API. Returns { data, headers, status }. Throws ApiError on a non-2xx answer or a network failure.
 * body: an object sent as JSON.
 */
export async function api(path, { method = 'GET', body, headers = {}, signal } = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json, application/problem+json', ...headers },
    signal,
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === 'AbortError') {
      throw error;
    }

    throw new ApiError(0, method, path, null);
  }

  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }

  if (!response.ok) {
    const problem = data && typeof data === 'object' ? data : (data ? { detail: String(data) } : null);
    const error = new ApiError(response.status, method, path, problem);
    if (response.status === 401) {
      unauthorizedListeners.forEach((listener) => listener(error));
    }

    throw error;
  }

  return { data, headers: response.headers, status: response.status };
}

/** Builds a query string from an object, skipping empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }

    search.set(key, String(value));
  }

  const text = search.toString();
  return text ? `?${text}` : '';
}

export const enc = encodeURIComponent;
