// The pages' only way to the server: calls to the public TRUSTID API under /backend, same origin.
// Tokens live in sessionStorage (this tab only, gone when it closes; never localStorage or cookies), so a
// reload keeps the login but another site or tab cannot reuse it. Refresh tokens are single-use and rotate:
// the newest pair is stored after every refresh, and concurrent calls share one refresh request, because a
// second use of the same refresh token would revoke the whole login.

const STORE_KEY = "trustid.tokens";
/** Refresh a little before the access token expires, so a call never starts with a dead token. */
const EARLY_REFRESH_SECONDS = 30;

export class ApiError extends Error {
  /** @param {number} status @param {any} body @param {string} message */
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** @returns {{access: string, refresh: string} | null} */
function loadTokens() {
  try {
    const raw = sessionStorage.getItem(STORE_KEY);
    const t = raw ? JSON.parse(raw) : null;
    return t && typeof t.access === "string" && typeof t.refresh === "string" ? t : null;
  } catch {
    return null;
  }
}

function saveTokens(pair) {
  sessionStorage.setItem(STORE_KEY, JSON.stringify({ access: pair.access, refresh: pair.refresh }));
}

/** The access token's claims (`sub`, `role`, `inst`, `exp`); read only to choose what to show, never trusted. */
function claimsOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
  } catch {
    return null;
  }
}

/** @returns {{role: string, inst: string, sub: string} | null} the signed-in user, if any. */
export function currentUser() {
  const t = loadTokens();
  const c = t && claimsOf(t.access);
  return c && typeof c.role === "string" ? { role: c.role, inst: String(c.inst ?? ""), sub: String(c.sub ?? "") } : null;
}

export function signOut() {
  sessionStorage.removeItem(STORE_KEY);
  document.dispatchEvent(new CustomEvent("trustid:signed-out"));
}

/** Human-readable text of a TRUSTID error body: the message plus every field problem it lists. */
export function errorText(body, fallback) {
  if (!body || typeof body !== "object") return fallback;
  const parts = [];
  if (typeof body.message === "string" && body.message) parts.push(body.message.replace(/\.?$/, "."));
  const details = body.error_details && typeof body.error_details === "object" ? body.error_details : {};
  for (const msgs of Object.values(details)) {
    for (const m of Array.isArray(msgs) ? msgs : [msgs]) {
      if (typeof m === "string" && !parts.some((p) => p.includes(m))) parts.push(m.replace(/\.?$/, "."));
    }
  }
  return parts.length ? parts.join(" ") : fallback;
}

async function send(path, { method = "GET", json, form, token } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form); // sets application/x-www-form-urlencoded itself
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(`/backend${path}`, { method, headers, body, credentials: "omit", cache: "no-store" });
  } catch {
    throw new ApiError(0, null, "The server cannot be reached. Check your connection and try again.");
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const retry = res.headers.get("Retry-After");
    const extra = res.status === 429 && retry ? ` Try again in ${retry} seconds.` : "";
    const error = new ApiError(res.status, data, errorText(data, `The server answered ${res.status}.`) + extra);
    error.retryAfter = retry;
    throw error;
  }
  return data;
}

/** POST /backend/login; stores the token pair. */
export async function signIn(email, password, organization) {
  const data = await send("/login", { method: "POST", json: { email, password, organization } });
  saveTokens(data.resource_obj);
  return currentUser();
}

/**
 * POST /backend/register_user for an invited student: claims the account an instructor's course sync or an
 * institution's system created for this email, with the invitation token that was sent to the student.
 */
export async function claimInvitedAccount({ email, organization, token, name, surname, password }) {
  await send("/register_user", { method: "POST", json: { email, name, surname, organization, password, role: "STUDENT", invitation_token: token } });
}

let refreshing = null;

/** One refresh at a time: concurrent callers wait for the same rotation. */
function refreshTokens() {
  refreshing ??= (async () => {
    const t = loadTokens();
    if (!t) throw new ApiError(401, null, "Please sign in.");
    try {
      const data = await send("/refresh_token", { method: "POST", json: { refresh: t.refresh } });
      saveTokens(data.resource_obj);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        signOut();
        throw new ApiError(401, null, "Your session has ended. Please sign in again.");
      }
      throw e;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function freshAccessToken() {
  const t = loadTokens();
  if (!t) throw new ApiError(401, null, "Please sign in.");
  const c = claimsOf(t.access);
  if (!c || typeof c.exp !== "number" || c.exp - EARLY_REFRESH_SECONDS < Date.now() / 1000) {
    await refreshTokens();
    return loadTokens().access;
  }
  return t.access;
}

/**
 * An authenticated call: `json` (application/json) or `form` (urlencoded) body. On a 401 the tokens are
 * refreshed once and the call repeated; when that fails the user is signed out (`trustid:signed-out`).
 */
export async function api(path, options = {}) {
  const token = await freshAccessToken();
  try {
    return await sendRetrying(path, { ...options, token });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    await refreshTokens();
    return sendRetrying(path, { ...options, token: loadTokens().access });
  }
}

/** How often a call is repeated after "unavailable" (503) or no answer at all, and how long to wait. */
const RETRIES = 2;
const RETRY_WAIT_MS = 2000;

/**
 * A 503 (the service, or the edge in front of it, briefly unavailable) or a lost connection is retried a
 * couple of times after a pause: every call the pages make is safe to repeat (reads, checks, and writes
 * that replace or are idempotent), and a student in the middle of an enrolment should not have to start
 * over for a blip.
 */
async function sendRetrying(path, options) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send(path, options);
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 503 && e.status !== 0) || attempt >= RETRIES) throw e;
      const after = Number(e.retryAfter);
      const wait = Number.isFinite(after) && after > 0 && after <= 10 ? after * 1000 : RETRY_WAIT_MS;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
