// Small DOM and formatting helpers. Every text goes in through textContent or attributes,
// never innerHTML, so nothing from an instance, a message or a definition can become markup.

export const API = document.body.dataset.api || "/api";
export const ROOT = `${API}/dashboard`;
const KEY = "workflows.functionKey";

/** An element: h("a", {href: "/x", class: "y"}, "text", child, ...). */
export function h(tag, attrs = {}, ...children) {
  const node = tag === "svg" || attrs.svg ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false || name === "svg") continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

export function s(tag, attrs = {}, ...children) {
  return h(tag, { ...attrs, svg: true }, ...children);
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A problem document (or a failure to reach the API) as an error the views can show. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

/** Call the management API; JSON in, JSON out. In Azure a function key may be needed: it is
 * kept for this tab only (sessionStorage) and sent as x-functions-key. */
export async function api(path, { method = "GET", body, raw = false } = {}) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY);
  if (key) headers["x-functions-key"] = key;
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = raw ? body : JSON.stringify(body);
  }
  let answer;
  try {
    answer = await fetch(`${API}${path}`, { method, headers, body: payload, credentials: "same-origin" });
  } catch (error) {
    throw new ApiError(0, { title: "The API did not answer", detail: String(error.message || error) });
  }
  const text = await answer.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text.slice(0, 300) }; }
  }
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

export function setKey(value) {
  if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
}

export const enc = encodeURIComponent;

/** A time in the viewer's zone; the UTC value on hover (and for screen readers, datetime). */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return h("span", {}, String(iso));
  return h("time", { datetime: moment.toISOString(), title: `UTC: ${moment.toISOString()}` },
    moment.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
}

/** "in 2 d 4 h", "3 min ago": how far a moment is from now, in words. */
export function relative(iso, now = Date.now()) {
  const moment = new Date(iso).getTime();
  if (Number.isNaN(moment)) return "";
  const ms = moment - now;
  const words = duration(Math.abs(ms), 2);
  return ms >= 0 ? `in ${words}` : `${words} ago`;
}

/** A duration in words: 2 d 4 h, 5 min 3 s, 120 ms. */
export function duration(ms, parts = 2) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const units = [["d", 86400000], ["h", 3600000], ["min", 60000], ["s", 1000]];
  const out = [];
  let rest = ms;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || out.length) { if (n > 0) out.push(`${n} ${name}`); rest -= n * size; }
    if (out.length >= parts) break;
  }
  return out.join(" ") || "0 s";
}

export function badge(text) {
  return h("span", { class: `badge ${String(text || "").replace(/[^A-Za-z-]/g, "")}` }, text ?? "—");
}

/** A folded JSON value. */
export function json(label, value, open = false) {
  return h("details", { open, "data-json": label }, h("summary", {}, label),
    h("pre", { class: "json" }, value === undefined ? "undefined" : JSON.stringify(value, null, 2)));
}

export function facts(rows) {
  return h("dl", { class: "facts" }, rows.filter(([, v]) => v !== undefined)
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v === null || v === "" ? "—" : v)]));
}

export function table(headers, rows, caption) {
  return h("div", { class: "table-wrap" }, h("table", {},
    caption ? h("caption", { class: "muted" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "Nothing here.")))));
}

export function link(path, text, attrs = {}) {
  return h("a", { href: `${ROOT}${path}`, "data-nav": "", ...attrs }, text);
}

export function notice(text, kind = "") {
  return h("p", { class: `notice ${kind}`, role: kind === "bad" ? "alert" : "status" }, text);
}

/** The error of a failed call, with a key form when the host wants a function key (401). */
export function failure(error, retry) {
  const parts = [notice(`${error.problem?.title || "Error"}: ${error.message}`, "bad")];
  if (error.status === 401 && !error.problem?.type) {
    const input = h("input", { type: "password", id: "function-key", autocomplete: "off" });
    parts.push(h("form", { class: "key-form", onsubmit: (e) => { e.preventDefault(); setKey(input.value.trim()); retry(); } },
      h("label", { for: "function-key" }, "Function key"), input,
      h("button", { type: "submit", class: "primary" }, "Use for this tab")));
  }
  return parts;
}

/** Ask before acting: a modal dialog with an optional reason; resolves to the reason, or null. */
export function confirmDialog(title, text, { reason = false, danger = false, action = "Confirm" } = {}) {
  return new Promise((resolve) => {
    const field = reason ? h("textarea", { id: "confirm-reason", maxlength: 1000, rows: 3 }) : null;
    const dialog = h("dialog", { "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title), h("p", {}, text),
      field ? [h("label", { for: "confirm-reason" }, "Reason (optional)"), field] : null,
      h("div", { class: "actions" },
        h("button", { type: "button", value: "cancel", onclick: () => dialog.close("cancel") }, "Cancel"),
        h("button", { type: "button", class: danger ? "danger" : "primary", id: "confirm-ok",
          onclick: () => dialog.close("ok") }, action)));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? (field ? field.value : "") : null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    (field || dialog.querySelector("#confirm-ok")).focus();
  });
}
