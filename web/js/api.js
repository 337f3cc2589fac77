// api.js - calls to the school's API (docs/API.md, /api/v1/openapi.json): JSON in and out, the access token,
// one refresh and retry on 401, and errors as ApiError with the problem's plain-language detail.

import { end, refresh, session, setRefreshPost } from "./session.js";

const meta = document.querySelector('meta[name="erp-api"]');
const BASE = (meta && meta.content) || "";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || "Something went wrong.");
    this.status = status;
    this.detail = this.message;
    this.errors = problem.errors || [];
  }

  /** The message for one field ("email"), or undefined. */
  field(name) {
    const e = this.errors.find((x) => x.field === name || x.field.startsWith(name + "."));
    return e && e.message;
  }
}

const etags = new WeakMap();

/** The ETag the API sent with a record (for If-Match), or undefined. */
export function etagOf(record) {
  return etags.get(record);
}

/**
 * extra: more headers ({"if-match": …}); blob: the body as a Blob (a PDF) instead of JSON; type: the body is
 * sent as it is (a File) with this media type (an upload) instead of as JSON.
 */
async function send(method, path, body, token, { headers: extra = {}, blob = false, type = null } = {}) {
  const headers = { accept: blob ? "application/pdf" : "application/json", ...extra };
  if (body !== undefined) headers["content-type"] = type || "application/json";
  if (token) headers.authorization = "Bearer " + token;
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: body === undefined || type ? body : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { detail: "The school's server cannot be reached. Check the connection and try again." });
  }
  if (res.status === 204) return null;
  if (res.ok && blob) return res.blob();
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  const tag = res.headers.get("etag");
  if (tag && data && typeof data === "object") etags.set(data, tag);
  return data;
}

setRefreshPost((path, body) => send("POST", path, body));

/** A call without a token (login). */
export function publicCall(method, path, body) {
  return send(method, path, body);
}

/**
 * A call with the session's token. A 401 refreshes the session once and tries again; when the session has
 * ended the app is told (session.onEnd) and the promise rejects with an ApiError of status 401.
 */
export async function call(method, path, body, options) {
  const s = session();
  if (!s) throw new ApiError(401, { detail: "Your session has ended. Sign in again." });
  try {
    return await send(method, path, body, s.accessToken, options);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    if (!(await refresh())) throw new ApiError(401, { detail: "Your session has ended. Sign in again." });
    try {
      return await send(method, path, body, session().accessToken, options);
    } catch (again) {
      if (again instanceof ApiError && again.status === 401) end("expired");
      throw again;
    }
  }
}

export const get = (path) => call("GET", path);

/**
 * Fetches a document (a PDF) with the session's token and hands it to the browser as a download named
 * filename: a plain link cannot carry the token.
 */
export async function download(path, filename) {
  const blob = await call("GET", path, undefined, { blob: true });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
