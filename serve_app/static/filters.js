// The board's filters — client, site, severity, status, type, text and
// "mine" (assigned to me) — kept in the page's URL (?client=...&q=...), so a
// view can be shared and a reload shows the same view. Filtering happens in
// the page over the open alerts it holds: a change redraws at once, and a
// pushed alert that does not match gets no card.

import { h, humanize } from "./dom.js";
import { SEVERITIES } from "./board.js";

export const STATUSES = ["NEW", "ACKNOWLEDGED", "ASSIGNED", "ESCALATED"];
const KEYS = ["client", "site", "severity", "status", "type", "q", "mine"];
const SHORT = { CRITICAL: "Crit", HIGH: "High", MEDIUM: "Med", LOW: "Low", INFO: "Info" };

/** The filter state of a query string: {client, site, severity: Set, status, type, q, mine}. */
export function parseFilters(search) {
  const p = new URLSearchParams(search);
  const severity = new Set(
    (p.get("severity") ?? "")
      .split(",")
      .map((s) => s.trim().toUpperCase())
      .filter((s) => SEVERITIES.includes(s)),
  );
  const status = (p.get("status") ?? "").toUpperCase();
  return {
    client: p.get("client") ?? "",
    site: p.get("site") ?? "",
    severity,
    status: STATUSES.includes(status) ? status : "",
    type: p.get("type") ?? "",
    q: (p.get("q") ?? "").trim(),
    mine: p.get("mine") === "1",
  };
}

/** The query string of a filter state (empty fields left out; other parameters kept). */
export function filtersQuery(f, search = "") {
  const p = new URLSearchParams(search);
  for (const k of KEYS) p.delete(k);
  if (f.client) p.set("client", f.client);
  if (f.site) p.set("site", f.site);
  if (f.severity.size) p.set("severity", SEVERITIES.filter((s) => f.severity.has(s)).join(","));
  if (f.status) p.set("status", f.status);
  if (f.type) p.set("type", f.type);
  if (f.q) p.set("q", f.q);
  if (f.mine) p.set("mine", "1");
  const text = p.toString();
  return text ? `?${text}` : "";
}

/** Is any filter set? */
export function filtering(f) {
  return Boolean(f.client || f.site || f.severity.size || f.status || f.type || f.q || f.mine);
}

/**
 * The predicate of a filter state over alert snapshots.
 * @param {object} f the state
 * @param {object} names
 * @param {() => string|null} names.me the signed-in user id
 * @param {(id: string) => string} names.clientName
 * @param {(id: string) => string|null} names.siteName
 */
export function matcher(f, { me, clientName, siteName }) {
  const words = f.q.toLowerCase().split(/\s+/).filter(Boolean);
  return (a) => {
    if (f.client && a.client_id !== f.client) return false;
    if (f.site && a.site_id !== f.site) return false;
    if (f.severity.size && !f.severity.has(a.severity)) return false;
    if (f.status && a.status !== f.status) return false;
    if (f.type && a.alert_type !== f.type) return false;
    if (f.mine && (!me() || a.assigned_to !== me())) return false;
    if (!words.length) return true;
    const text = [
      a.message,
      a.alert_type,
      humanize(a.alert_type),
      a.entity_type,
      a.entity_id,
      a.id,
      clientName(a.client_id),
      a.site_id ? siteName(a.site_id) ?? a.site_id : "",
      ...Object.values(a.metadata ?? {}).filter((v) => v !== null && typeof v !== "object"),
    ]
      .join(" ")
      .toLowerCase();
    return words.every((w) => text.includes(w));
  };
}

/** The filter bar above the board; `onChange(state)` after every change. */
export class FilterBar {
  constructor(root, onChange) {
    this.root = root;
    this.onChange = onChange;
    this.state = parseFilters(location.search);
    this.clients = []; // [{id, name}]
    this.sites = []; // [{id, name, client_id}]
    this.types = []; // alert type names
    this.client = h("select", { "data-testid": "filter-client", "aria-label": "Client", onchange: () => this.set({ client: this.client.value, site: "" }) });
    this.site = h("select", { "data-testid": "filter-site", "aria-label": "Site", onchange: () => this.set({ site: this.site.value }) });
    this.status = h(
      "select",
      { "data-testid": "filter-status", "aria-label": "Status", onchange: () => this.set({ status: this.status.value }) },
      h("option", { value: "" }, "Any status"),
      STATUSES.map((s) => h("option", { value: s }, humanize(s))),
    );
    this.type = h("select", { "data-testid": "filter-type", "aria-label": "Alert type", onchange: () => this.set({ type: this.type.value }) });
    this.search = h("input", {
      type: "search",
      class: "filter-search",
      "data-testid": "filter-search",
      placeholder: "Search alerts  ( / )",
      "aria-label": "Search alerts",
      autocomplete: "off",
      spellcheck: "false",
      oninput: () => this.typed(),
      onkeydown: (ev) => {
        if (ev.key === "Escape") {
          this.search.blur();
        }
      },
    });
    this.sevButtons = SEVERITIES.map((s) =>
      h("button", {
        type: "button",
        class: `btn btn-small btn-toggle sev-toggle sev-${s}`,
        "data-testid": `filter-severity-${s}`,
        "aria-pressed": "false",
        title: `Only ${humanize(s)} (with the other severities pressed)`,
        onclick: () => {
          const severity = new Set(this.state.severity);
          if (severity.has(s)) severity.delete(s);
          else severity.add(s);
          this.set({ severity });
        },
      }, SHORT[s]),
    );
    this.mine = h("button", {
      type: "button",
      class: "btn btn-small btn-toggle",
      "data-testid": "filter-mine",
      "aria-pressed": "false",
      title: "Only the alerts assigned to me",
      onclick: () => this.set({ mine: !this.state.mine }),
    }, "Mine");
    this.clear = h("button", {
      type: "button",
      class: "btn btn-small btn-ghost",
      "data-testid": "filter-clear",
      onclick: () => this.set(parseFilters("")),
    }, "Clear filters");
    this.typingTimer = null;
    root.replaceChildren(
      this.search,
      h("span", { class: "filter-group", role: "group", "aria-label": "Severity" }, this.sevButtons),
      this.client,
      this.site,
      this.status,
      this.type,
      this.mine,
      this.clear,
    );
    this.draw();
  }

  /** The clients, sites and types to choose from (after a load). */
  options({ clients, sites, types }) {
    if (clients) this.clients = clients;
    if (sites) this.sites = sites;
    if (types) this.types = types;
    this.draw();
  }

  typed() {
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => {
      this.typingTimer = null;
      this.set({ q: this.search.value.trim() });
    }, 120);
  }

  set(change) {
    if (this.typingTimer !== null) {
      // typed a moment ago: take the text too, before the box is redrawn
      clearTimeout(this.typingTimer);
      this.typingTimer = null;
      change = { q: this.search.value.trim(), ...change };
    }
    this.state = { ...this.state, ...change };
    history.replaceState(history.state, "", location.pathname + filtersQuery(this.state, location.search) + location.hash);
    this.draw();
    this.onChange(this.state);
  }

  /** Take the state of the URL again (back/forward). */
  fromLocation() {
    this.state = parseFilters(location.search);
    this.draw();
    this.onChange(this.state);
  }

  draw() {
    const f = this.state;
    fill(this.client, "Any client", this.clients.map((c) => [c.id, c.name]), f.client);
    const sites = this.sites.filter((s) => !f.client || s.client_id === f.client);
    fill(this.site, "Any site", sites.map((s) => [s.id, s.name]), f.site);
    fill(this.type, "Any type", this.types.map((t) => [t, humanize(t)]), f.type);
    this.status.value = f.status;
    if (document.activeElement !== this.search) this.search.value = f.q;
    SEVERITIES.forEach((s, i) => this.sevButtons[i].setAttribute("aria-pressed", String(f.severity.has(s))));
    this.mine.setAttribute("aria-pressed", String(f.mine));
    this.clear.hidden = !filtering(f);
    this.root.dataset.active = String(filtering(f));
  }
}

/** Replace a select's options; a chosen value not among them is kept as an option. */
function fill(select, anyLabel, pairs, chosen) {
  const known = new Set(pairs.map(([v]) => v));
  if (chosen && !known.has(chosen)) pairs = [...pairs, [chosen, chosen]];
  select.replaceChildren(h("option", { value: "" }, anyLabel), ...pairs.map(([v, label]) => h("option", { value: v }, label)));
  select.value = chosen;
}
