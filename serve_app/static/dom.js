// Small DOM and formatting helpers. Text is always set with textContent:
// alert messages and metadata come from outside and are never parsed as HTML.

/** Build an element: h("li", {class: "card", dataset: {id}}, child, "text"). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** "now", "45s", "12m", "3h 5m", "2d 4h" since an ISO time. */
export function age(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 5) return "now";
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return m % 60 ? `${hrs}h ${m % 60}m` : `${hrs}h`;
  const d = Math.floor(hrs / 24);
  return hrs % 24 ? `${d}d ${hrs % 24}h` : `${d}d`;
}

/** Local wall-clock time of an ISO instant, e.g. "14:05". */
export function clock(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Local date and time of an ISO instant, e.g. "Nov 26, 14:05". */
export function dateTime(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  return new Date(t).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** Local time of an ISO instant to the second, e.g. "14:05:09". */
export function clockSeconds(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A metadata value as text: an ISO time as a local date and time, anything else as is. */
export function valueText(v) {
  return typeof v === "string" && ISO_TIME.test(v) ? dateTime(v) : String(v);
}

/** "SECURITY_ANOMALY" -> "Security anomaly". */
export function humanize(code) {
  const s = String(code ?? "").replaceAll("_", " ").toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A short form of an opaque id (uuid-like ids get their first 8 characters). */
export function shortId(id) {
  const s = String(id ?? "");
  return /^[0-9a-f-]{32,36}$/i.test(s) ? s.slice(0, 8) : s;
}

/** A transient message in the corner; errors stay longer. */
export function toast(message, kind = "info") {
  const box = document.querySelector("[data-testid=toasts]");
  if (!box) return;
  const el = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" });
  el.textContent = message;
  box.append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 3500);
}
