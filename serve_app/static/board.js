// The live alert board: open alerts in one column per severity, newest first.
//
// Alerts arrive from REST pages, REST answers and socket pushes in any order;
// each is a full snapshot of the alert. `freshness` orders snapshots of one
// alert (every change moves one of its timestamps or its repeat count
// forward), so an older snapshot never overwrites a newer one, and a closed
// alert leaves a tombstone so a late push cannot bring it back.
//
// The board is an EventTarget: "alert" (detail: the snapshot) for every
// snapshot it takes, "reset" after a fresh REST load, and "details" (detail:
// the alert) when a card's Details button is pressed.

import { age, clock, h, humanize, shortId, valueText } from "./dom.js";

export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"];
export const OPEN = new Set(["NEW", "ACKNOWLEDGED", "ASSIGNED", "ESCALATED"]);
const ACKABLE = new Set(["NEW", "ESCALATED"]);
const STATUS_LABEL = { ACKNOWLEDGED: "ACKED" };
const CHANGE_TIMES = ["last_seen", "acknowledged_at", "assigned_at", "escalated_at", "resolved_at"];
const METADATA_SHOWN = 5;

/** A sortable [latest change time, repeats] of one alert snapshot. */
export function freshness(alert) {
  const t = Math.max(0, ...CHANGE_TIMES.map((k) => Date.parse(alert[k] ?? "") || 0));
  return [t, alert.suppressed_count ?? 0, OPEN.has(alert.status) ? 0 : 1];
}

/** Is freshness `a` at least as new as `b`? (Equal: take the later copy.) */
export function newer(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true; // equal: take the later copy
}

export class AlertBoard extends EventTarget {
  /**
   * @param {HTMLElement} root the columns container
   * @param {object} hooks
   * @param {(alert) => void} hooks.onAcknowledge
   * @param {(alert) => void} hooks.onResolve
   * @param {(clientId: string) => string} hooks.clientName
   * @param {(siteId: string) => string|null} hooks.siteName null when unknown
   * @param {() => string|null} hooks.me the signed-in user id
   * @param {() => boolean} hooks.canAct may the user acknowledge and resolve?
   */
  constructor(root, hooks) {
    super();
    this.root = root;
    this.hooks = hooks;
    this.alerts = new Map(); // id -> alert (open only)
    this.cards = new Map(); // id -> <li>
    this.closed = new Map(); // id -> freshness of the closing snapshot
    this.busy = new Set(); // ids with a request in flight
    this.selected = null; // id of the alert shown in detail, if any
    this.lists = {};
    this.counts = {};
    root.replaceChildren(
      ...SEVERITIES.map((sev) => {
        this.lists[sev] = h("ol", { class: "cards", "aria-label": `${humanize(sev)} alerts` });
        this.counts[sev] = h("span", { class: "count", "data-testid": `count-${sev}` }, "0");
        return h(
          "section",
          { class: `column sev-${sev}`, "data-testid": `column-${sev}`, "data-severity": sev },
          h("h3", { class: "column-head" }, h("span", { class: "sev-dot" }), humanize(sev), this.counts[sev]),
          this.lists[sev],
          h("p", { class: "empty muted small" }, "No open alerts"),
        );
      }),
    );
  }

  /** Replace everything with a fresh REST load. */
  reset(alerts) {
    this.alerts.clear();
    this.closed.clear();
    for (const li of this.cards.values()) li.remove();
    this.cards.clear();
    for (const a of alerts) this.upsert(a, { quiet: true });
    this.updateCounts();
    this.dispatchEvent(new Event("reset"));
  }

  /** Apply one alert snapshot; returns false when it was older than what we have. */
  upsert(alert, { quiet = false } = {}) {
    const f = freshness(alert);
    const gone = this.closed.get(alert.id);
    if (gone && !newer(f, gone)) return false;
    const known = this.alerts.get(alert.id);
    if (known && !newer(f, freshness(known))) return false;
    if (!OPEN.has(alert.status)) {
      this.closed.set(alert.id, f);
      this.alerts.delete(alert.id);
      this.cards.get(alert.id)?.remove();
      this.cards.delete(alert.id);
    } else {
      this.closed.delete(alert.id);
      this.alerts.set(alert.id, alert);
      this.place(alert, known === undefined && !quiet);
    }
    if (!quiet) this.updateCounts();
    this.dispatchEvent(new CustomEvent("alert", { detail: alert }));
    return true;
  }

  get(id) {
    return this.alerts.get(id);
  }

  /** Mark the alert shown in detail (null: none), in place: focus stays where it is. */
  select(id) {
    for (const known of [this.selected, id]) {
      const li = known === null ? undefined : this.cards.get(known);
      li?.classList.toggle("is-selected", known === id);
      this.detailsButton(known)?.setAttribute("aria-expanded", String(known === id));
    }
    this.selected = id;
  }

  /** The Details button on the alert's card, if the card is on the board. */
  detailsButton(id) {
    return this.cards.get(id)?.querySelector('[data-testid="details-button"]') ?? null;
  }

  /** Draw every card again (e.g. once the user's capabilities are known). */
  rerender() {
    for (const a of this.alerts.values()) this.place(a, false);
  }

  setBusy(id, busy) {
    if (busy) this.busy.add(id);
    else this.busy.delete(id);
    const a = this.alerts.get(id);
    if (a) this.place(a, false);
  }

  /** Render the card and put it in its column, ordered by first_seen (newest first). */
  place(alert, fresh) {
    const old = this.cards.get(alert.id);
    const li = this.card(alert);
    if (fresh) li.classList.add("is-new");
    else if (old?.classList.contains("is-new")) li.classList.add("is-new");
    this.cards.set(alert.id, li);
    const list = this.lists[alert.severity] ?? this.lists.INFO;
    const t = Date.parse(alert.first_seen) || 0;
    if (old && old.parentElement === list) {
      old.replaceWith(li);
      return;
    }
    old?.remove();
    const after = [...list.children].find((c) => (Number(c.dataset.firstSeen) || 0) < t);
    list.insertBefore(li, after ?? null);
  }

  card(a) {
    const busy = this.busy.has(a.id);
    const canAct = this.hooks.canAct();
    const label = `${humanize(a.alert_type)}: ${a.message}`;
    const site = a.site_id ? ` · ${this.hooks.siteName(a.site_id) ?? shortId(a.site_id)}` : "";
    const repeats = a.suppressed_count
      ? h("span", { class: "repeats", "data-testid": "alert-repeats", title: "Folded duplicates" }, `×${a.suppressed_count + 1}`)
      : null;
    const selected = this.selected === a.id;
    const who = a.acknowledged_by
      ? a.acknowledged_by === this.hooks.me()
        ? "you"
        : shortId(a.acknowledged_by)
      : null;
    return h(
      "li",
      {
        class: `card sev-${a.severity} status-${a.status}${selected ? " is-selected" : ""}`,
        "data-testid": "alert-card",
        dataset: { alertId: a.id, status: a.status, severity: a.severity, firstSeen: String(Date.parse(a.first_seen) || 0) },
        "aria-label": label,
      },
      h(
        "div",
        { class: "card-head" },
        h("span", { class: "card-type", "data-testid": "alert-type" }, humanize(a.alert_type)),
        repeats,
        h("span", { class: `badge badge-${a.status}`, "data-testid": "alert-status", title: a.status }, STATUS_LABEL[a.status] ?? a.status),
      ),
      h("p", { class: "card-msg", "data-testid": "alert-message" }, a.message),
      h(
        "div",
        { class: "card-where muted small", "data-testid": "alert-where", title: `${a.client_id}${a.site_id ? ` / ${a.site_id}` : ""}` },
        `${this.hooks.clientName(a.client_id)}${site}`,
      ),
      metadataList(a.metadata),
      h(
        "div",
        { class: "card-foot" },
        h(
          "span",
          { class: "card-age muted small", "data-testid": "alert-age", "data-since": a.first_seen, title: `First seen ${clock(a.first_seen)}, last seen ${clock(a.last_seen)}` },
          age(a.first_seen),
        ),
        who ? h("span", { class: "muted small", title: "Acknowledged by" }, `ack: ${who}`) : null,
        h(
          "span",
          { class: "card-actions" },
          h("button", {
            type: "button",
            class: "btn btn-small btn-details",
            "data-testid": "details-button",
            "aria-label": `Details of ${label}`,
            "aria-haspopup": "dialog",
            "aria-controls": "alert-drawer",
            "aria-expanded": String(selected),
            onclick: () => this.dispatchEvent(new CustomEvent("details", { detail: a })),
          }, "Details"),
          canAct && ACKABLE.has(a.status)
            ? h("button", {
                type: "button",
                class: "btn btn-small btn-ack",
                "data-testid": "ack-button",
                "aria-label": `Acknowledge ${label}`,
                disabled: busy,
                onclick: () => this.hooks.onAcknowledge(a),
              }, busy ? "…" : "Ack")
            : null,
          canAct && h("button", {
            type: "button",
            class: "btn btn-small btn-resolve",
            "data-testid": "resolve-button",
            "aria-label": `Resolve ${label}`,
            disabled: busy,
            onclick: () => this.hooks.onResolve(a),
          }, "Resolve"),
        ),
      ),
    );
  }

  updateCounts() {
    let total = 0;
    for (const sev of SEVERITIES) {
      const n = this.lists[sev].children.length;
      total += n;
      this.counts[sev].textContent = String(n);
      this.lists[sev].parentElement.classList.toggle("is-empty", n === 0);
    }
    const pill = document.querySelector("[data-testid=open-count]");
    if (pill) pill.textContent = String(total);
  }

  /** Refresh the ages shown (called every few seconds). */
  tick(now = Date.now()) {
    for (const el of this.root.querySelectorAll("[data-since]")) {
      el.textContent = age(el.dataset.since, now);
    }
  }
}

function metadataList(metadata) {
  const entries = Object.entries(metadata ?? {}).filter(([, v]) => v !== null && typeof v !== "object");
  if (!entries.length) return null;
  return h(
    "dl",
    { class: "card-meta", "data-testid": "alert-metadata" },
    entries.slice(0, METADATA_SHOWN).map(([k, v]) => {
      const text = valueText(v);
      return h("div", { class: "kv" }, h("dt", {}, humanize(k)), h("dd", { title: String(v) }, text));
    }),
  );
}
