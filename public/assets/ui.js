// Small DOM helpers shared by the pages. Content from the API is only ever set as text (never as HTML),
// so names and alert details cannot inject markup.

/**
 * Creates an element: `h("button", {type: "button", onclick: f}, "Text")`. Attributes starting with "on"
 * become listeners; `hidden`/`disabled` booleans; everything else is set with setAttribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** @param {string} id */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/**
 * Writes a message into the page's status region. The region is `role="status"` (polite) for progress
 * and results; errors go to the `role="alert"` region so that screen readers interrupt for them.
 * The text is cleared first so that the same message said twice is announced twice.
 */
let lastMessage = 0;

export function say(text, kind = "info") {
  const mine = ++lastMessage;
  const status = byId("status");
  const alert = byId("alert");
  const target = kind === "error" ? alert : status;
  const other = kind === "error" ? status : alert;
  other.textContent = "";
  other.hidden = true;
  target.textContent = "";
  target.hidden = false;
  target.dataset.kind = kind;
  // A new task, so that assistive technology sees a change even for an identical message.
  setTimeout(() => {
    if (mine === lastMessage) target.textContent = text;
  }, 30);
}

export function clearMessages() {
  lastMessage++;
  for (const id of ["status", "alert"]) {
    const el = byId(id);
    el.textContent = "";
    el.hidden = true;
  }
}

/**
 * Shows (or clears, with "") a form field's error in the element `#<input id>-error` the input names in its
 * aria-describedby, and marks the input invalid for assistive technology.
 */
export function showFieldError(input, text) {
  const el = document.getElementById(`${input.id}-error`);
  if (el) el.textContent = text;
  if (text) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

/**
 * Checks that each input has a value; shows "Enter your <label>." under each empty one and focuses the
 * first. Returns true when none is empty.
 */
export function requireFilled(inputs) {
  let firstEmpty = null;
  for (const input of inputs) {
    const empty = input.value.trim() === "";
    showFieldError(input, empty ? `Enter your ${input.dataset.label ?? input.name}.` : "");
    if (empty && !firstEmpty) firstEmpty = input;
  }
  firstEmpty?.focus();
  return firstEmpty === null;
}

/** Moves keyboard and screen-reader focus to a heading (or any element) that is not normally focusable. */
export function focusOn(el) {
  if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "-1");
  el.focus();
}

/** Marks a button busy while `work` runs, so it cannot be pressed twice; returns what `work` returns. */
export async function busy(button, busyText, work) {
  const text = button.textContent;
  // A disabled button loses focus to the page's body: give it back when the work is done, unless the work moved
  // focus elsewhere meanwhile (a probe's keyboard user landed at the top of the page after Refresh).
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (busyText) button.textContent = busyText;
  try {
    return await work();
  } finally {
    button.textContent = text;
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (hadFocus && button.isConnected && !button.hidden && (document.activeElement === document.body || document.activeElement === null)) button.focus();
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** A `<time>` element showing an ISO date-time in the reader's locale. */
export function timeEl(iso, withDate = true) {
  if (!iso) return h("span", {}, "—");
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h("span", {}, iso);
  return h("time", { datetime: d.toISOString() }, (withDate ? dateTime : timeOnly).format(d));
}
