// The REST API, same origin: the session cookie authenticates, X-CSRF-Token guards writes.

export const session = { mode: null, principal: null, csrf: "" };

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const listeners = new Set();
export function onSignedOut(fn) {
  listeners.add(fn);
}

export async function api(path, { method = "GET", body, quiet401 = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  const resp = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  let data = null;
  const text = await resp.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { raw: text };
    }
  }
  if (!resp.ok) {
    const err = (data && data.error) || {};
    if (resp.status === 401 && !quiet401) for (const fn of listeners) fn();
    throw new ApiError(resp.status, err.code || "http_error", err.message || `HTTP ${resp.status}`, err.field);
  }
  return data;
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : "";
}

export const enc = encodeURIComponent;

export async function loadSession() {
  try {
    const s = await api("/auth/session", { quiet401: true });
    Object.assign(session, s);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return false;
    throw e;
  }
}

export async function signIn(token) {
  const s = await api("/auth/session", { method: "POST", body: { token }, quiet401: true });
  Object.assign(session, s);
}

export async function signOut() {
  await api("/auth/logout", { method: "POST", body: {} });
  Object.assign(session, { mode: null, principal: null, csrf: "" });
}
