// session.js - the signed-in session: its tokens (kept for this tab only), refreshing them before they
// expire, and telling the app when the session has ended (logout, expiry, revocation).

const KEY = "erp.session";
let current = load();
let timer = 0;
let refreshing = null;
const listeners = [];

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

function store(s) {
  current = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** The session ({accessToken, refreshToken, expiresAt, user}) or null. */
export function session() {
  return current;
}

/** Starts a session from the API's token pair (login or refresh). */
export function begin(pair, user) {
  store({
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: Date.now() + pair.expiresIn * 1000,
    user: user || pair.user || (current && current.user),
  });
  schedule();
}

/** Plans the refresh at four fifths of the access token's life (at once when that is past). */
export function schedule() {
  clearTimeout(timer);
  if (!current) return;
  const left = current.expiresAt - Date.now();
  timer = setTimeout(() => refresh().catch(() => {}), Math.max(1000, left * 0.8));
}

/**
 * Exchanges the refresh token for a new pair, once however many callers ask at the same time.
 * Resolves true when the session goes on; false when it has ended (the listeners have been told).
 * post is api.js's raw POST (given by the caller to keep this module free of fetch details).
 */
export function refresh(post = refreshPost) {
  if (!current) return Promise.resolve(false);
  if (!refreshing) {
    const token = current.refreshToken;
    refreshing = post("/api/v1/auth/refresh", { refreshToken: token })
      .then((pair) => {
        begin(pair);
        return true;
      })
      .catch((e) => {
        if (e && e.status === 0) throw e; // offline: the session may still be fine
        end("expired");
        return false;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

let refreshPost = null;
/** Set by api.js: how to POST without a token. */
export function setRefreshPost(fn) {
  refreshPost = fn;
}

/** Ends the session here; reason "logout" (asked for) or "expired" (the server ended it). */
export function end(reason) {
  if (!current) return;
  clearTimeout(timer);
  store(null);
  for (const fn of listeners) fn(reason);
}

/** Calls fn(reason) whenever the session ends. */
export function onEnd(fn) {
  listeners.push(fn);
}
