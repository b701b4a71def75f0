// The live alert board: open alerts in one column per severity, newest first.
//
// Alerts arrive from REST pages, REST answers and socket pushes in any order;
// each is a full snapshot of the alert. `freshness` orders snapshots of one
// alert (every change moves one of its timestamps or its repeat count
// forward), so an older snapshot never overwrites a newer one, and a closed
// alert leaves a tombstone so a late push cannot bring it back.
//
// Windowed columns: each column keeps the ids of its alerts in order (newest
// first; a binary search places a pushed one) and draws cards for the first
// `shown` of them only — PAGE at first, PAGE more each time the column's end
// comes into view (or its "Show more" button is pressed). A board of 5,000
// open alerts draws a few hundred cards, and a push costs one search and
// one card, not a pass over the column. Counts are of every alert that
// matches the filters, drawn or not.
//
// The board is an EventTarget: "alert" (detail: the snapshot) for every
// snapshot it takes one by one, "reset" after a fresh REST load, "chosen"
// when the picked alerts change, and "details" (detail: the alert) when a
// card's Details button is pressed.

import { age, clock, h, humanize, shortId, valueText } from "./dom.js";

export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"];
export const OPEN = new Set(["NEW", "ACKNOWLEDGED", "ASSIGNED", "ESCALATED"]);
export const PAGE = 60; // cards drawn per column at first, and per "more"

/** On a shelf now (hidden from the default board). */
export function shelvedNow(alert, now = Date.now()) {
  return Boolean(alert.shelved_until) && Date.parse(alert.shelved_until) > now;
}
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

/** Column order: newest first_seen first, then by id. */
function before(a, b) {
  const ta = Date.parse(a.first_seen) || 0;
  const tb = Date.parse(b.first_seen) || 0;
  return ta !== tb ? ta > tb : a.id < b.id;
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
    this.alerts = new Map(); // id -> alert (open only; matching the filters or not)
    this.cards = new Map(); // id -> <li>, for the alerts drawn
    this.closed = new Map(); // id -> freshness of the closing snapshot
    this.busy = new Set(); // ids with a request in flight
    this.showShelved = false; // the board shows the shelved alerts instead of the others
    this.selected = null; // id of the alert shown in detail, if any
    this.filter = () => true; // which open alerts are on the board (filters.js)
    this.chosen = new Set(); // ids picked for a bulk action
    this.lastPicked = null; // the anchor of a shift-click range
    this.cursor = null; // id of the card the keyboard is on (j/k)
    this.lists = {};
    this.counts = {};
    this.order = {}; // severity -> ids on the board, in column order
    this.shown = {}; // severity -> how many of them get a card
    this.more = {}; // severity -> the column's "Show more" button
    this.observer =
      typeof IntersectionObserver === "function"
        ? new IntersectionObserver(
            (seen) => seen.filter((e) => e.isIntersecting).forEach((e) => this.showMore(e.target.dataset.severity)),
            { rootMargin: "600px 0px" },
          )
        : null;
    root.replaceChildren(
      ...SEVERITIES.map((sev) => {
        this.order[sev] = [];
        this.shown[sev] = PAGE;
        this.lists[sev] = h("ol", { class: "cards", "aria-label": `${humanize(sev)} alerts` });
        this.counts[sev] = h("span", { class: "count", "data-testid": `count-${sev}` }, "0");
        this.more[sev] = h("button", {
          type: "button",
          class: "btn btn-small btn-ghost more",
          "data-testid": `more-${sev}`,
          dataset: { severity: sev },
          hidden: true,
          onclick: () => this.showMore(sev),
        });
        this.observer?.observe(this.more[sev]);
        return h(
          "section",
          { class: `column sev-${sev}`, "data-testid": `column-${sev}`, "data-severity": sev },
          h("h3", { class: "column-head" }, h("span", { class: "sev-dot" }), humanize(sev), this.counts[sev]),
          this.lists[sev],
          this.more[sev],
          h("p", { class: "empty muted small" }, "No open alerts"),
        );
      }),
    );
  }

  /** Replace everything with a fresh REST load. */
  reset(alerts) {
    this.alerts.clear();
    this.closed.clear();
    for (const a of alerts) {
      const f = freshness(a);
      if (!OPEN.has(a.status)) {
        this.closed.set(a.id, f);
        continue;
      }
      const known = this.alerts.get(a.id);
      if (shelvedNow(a) !== this.showShelved || (known && !newer(f, freshness(known)))) continue;
      this.alerts.set(a.id, a);
    }
    this.redraw();
    this.dispatchEvent(new Event("reset"));
  }

  /** Order every column again from the alerts held, and draw their first pages. */
  redraw() {
    for (const sev of SEVERITIES) {
      this.order[sev] = [];
      this.shown[sev] = PAGE;
    }
    for (const a of this.alerts.values()) if (this.filter(a)) this.order[this.sevOf(a)].push(a.id);
    for (const sev of SEVERITIES) {
      this.order[sev].sort((x, y) => (before(this.alerts.get(x), this.alerts.get(y)) ? -1 : 1));
    }
    for (const li of this.cards.values()) li.remove();
    this.cards.clear();
    for (const sev of SEVERITIES) {
      const frag = document.createDocumentFragment();
      for (const id of this.order[sev].slice(0, this.shown[sev])) {
        const li = this.card(this.alerts.get(id));
        this.cards.set(id, li);
        frag.append(li);
      }
      this.lists[sev].replaceChildren(frag);
    }
    for (const id of [...this.chosen]) if (!this.onBoard(id)) this.chosen.delete(id);
    if (this.cursor !== null && !this.cards.has(this.cursor)) this.cursor = null;
    this.updateCounts();
    this.dispatchEvent(new Event("chosen"));
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
      this.takeOff(alert.id);
      this.alerts.delete(alert.id);
    } else if (shelvedNow(alert) !== this.showShelved) {
      // on a shelf (or off it) while the board shows the other kind
      this.takeOff(alert.id);
      this.alerts.delete(alert.id);
    } else {
      this.closed.delete(alert.id);
      if (known && this.sevOf(known) !== this.sevOf(alert)) this.takeOff(alert.id);
      this.alerts.set(alert.id, alert);
      if (this.filter(alert)) this.putOn(alert, known === undefined && !quiet);
      else this.takeOff(alert.id);
    }
    if (!quiet) this.updateCounts();
    this.dispatchEvent(new CustomEvent("alert", { detail: alert }));
    return true;
  }

  get(id) {
    return this.alerts.get(id);
  }

  sevOf(alert) {
    return this.lists[alert.severity] ? alert.severity : "INFO";
  }

  /** Is the alert on the board (open, matching the filters), drawn or not? */
  onBoard(id) {
    const a = this.alerts.get(id);
    return a !== undefined && this.order[this.sevOf(a)].includes(id);
  }

  /** Show only the open alerts `filter` accepts (the others stay known, off the board). */
  setFilter(filter) {
    this.filter = filter;
    this.redraw();
  }

  /** Put the alert in its column's order (where it belongs) and draw its card
   * if that place is among the drawn ones; a card already drawn is redrawn. */
  putOn(alert, fresh) {
    const sev = this.sevOf(alert);
    const order = this.order[sev];
    const list = this.lists[sev];
    const old = this.cards.get(alert.id);
    if (old) {
      const li = this.card(alert);
      if (old.classList.contains("is-new")) li.classList.add("is-new");
      old.replaceWith(li);
      this.cards.set(alert.id, li);
      return;
    }
    if (order.includes(alert.id)) return; // on the board, beyond the drawn cards
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.alerts.get(order[mid]), alert)) lo = mid + 1;
      else hi = mid;
    }
    order.splice(lo, 0, alert.id);
    const drawn = list.children.length;
    if (lo > drawn || (lo === drawn && drawn >= this.shown[sev])) return; // beyond the drawn ones
    const li = this.card(alert);
    if (fresh) li.classList.add("is-new");
    this.cards.set(alert.id, li);
    list.insertBefore(li, list.children[lo] ?? null);
    this.shown[sev] = Math.max(this.shown[sev], list.children.length);
  }

  /** Take the alert off the board (closed, shelved or filtered out): its
   * card goes, the next one in order is drawn in its stead, and it is no
   * longer picked. */
  takeOff(id) {
    const a = this.alerts.get(id);
    this.chosen.delete(id);
    if (this.cursor === id) this.cursor = null;
    if (!a) return;
    const sev = this.sevOf(a);
    const order = this.order[sev];
    const at = order.indexOf(id);
    if (at >= 0) order.splice(at, 1);
    const li = this.cards.get(id);
    if (!li) return;
    li.remove();
    this.cards.delete(id);
    const list = this.lists[sev];
    const next = order[list.children.length];
    if (next !== undefined && list.children.length < this.shown[sev]) {
      const card = this.card(this.alerts.get(next));
      this.cards.set(next, card);
      list.append(card);
    }
  }

  /** Draw the column's next PAGE cards. */
  showMore(sev) {
    const list = this.lists[sev];
    const order = this.order[sev];
    const from = list.children.length;
    if (from >= order.length) return;
    this.shown[sev] = from + PAGE;
    const frag = document.createDocumentFragment();
    for (const id of order.slice(from, this.shown[sev])) {
      const li = this.card(this.alerts.get(id));
      this.cards.set(id, li);
      frag.append(li);
    }
    list.append(frag);
    this.updateMore(sev);
  }

  updateMore(sev) {
    const rest = this.order[sev].length - this.lists[sev].children.length;
    this.more[sev].hidden = rest <= 0;
    this.more[sev].textContent = rest > 0 ? `Show ${Math.min(rest, PAGE)} more of ${rest}` : "";
  }

  /** The alerts with a card, in reading order (column by column, top to bottom). */
  visible() {
    return [...this.root.querySelectorAll('[data-testid="alert-card"]')]
      .map((li) => this.alerts.get(li.dataset.alertId))
      .filter(Boolean);
  }

  /** Pick or unpick an alert for a bulk action; with `range`, every card
   * from the last one picked to this one (shift-click). */
  pick(id, on, range = false) {
    const ids = [id];
    if (range && this.lastPicked !== null && this.cards.has(this.lastPicked)) {
      const order = this.visible().map((a) => a.id);
      const [i, j] = [order.indexOf(this.lastPicked), order.indexOf(id)];
      if (i >= 0 && j >= 0) ids.splice(0, 1, ...order.slice(Math.min(i, j), Math.max(i, j) + 1));
    }
    for (const one of ids) {
      if (on) this.chosen.add(one);
      else this.chosen.delete(one);
      const li = this.cards.get(one);
      li?.classList.toggle("is-chosen", on);
      const box = li?.querySelector('[data-testid="pick"]');
      if (box) box.checked = on;
    }
    this.lastPicked = id;
    this.dispatchEvent(new Event("chosen"));
  }

  /** Unpick everything. */
  clearPicked() {
    for (const id of [...this.chosen]) this.pick(id, false);
    this.lastPicked = null;
  }

  /** Move the keyboard cursor `step` cards in reading order; returns its alert. */
  moveCursor(step) {
    const order = this.visible();
    if (!order.length) return null;
    const at = order.findIndex((a) => a.id === this.cursor);
    const next = at < 0 ? (step > 0 ? 0 : order.length - 1) : Math.min(order.length - 1, Math.max(0, at + step));
    this.setCursor(order[next].id);
    return order[next];
  }

  setCursor(id) {
    this.cards.get(this.cursor)?.classList.remove("is-cursor");
    this.cursor = id;
    const li = this.cards.get(id);
    if (li) {
      li.classList.add("is-cursor");
      li.focus({ preventScroll: false });
      li.scrollIntoView({ block: "nearest" });
    }
  }

  /** The alert under the keyboard cursor, if its card is on the board. */
  atCursor() {
    return this.cursor !== null && this.cards.has(this.cursor) ? this.alerts.get(this.cursor) : null;
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
    for (const [id, old] of this.cards) {
      const li = this.card(this.alerts.get(id));
      old.replaceWith(li);
      this.cards.set(id, li);
    }
  }

  setBusy(id, busy) {
    if (busy) this.busy.add(id);
    else this.busy.delete(id);
    const a = this.alerts.get(id);
    if (a && this.cards.has(id)) this.putOn(a, false);
  }

  card(a) {
    const busy = this.busy.has(a.id);
    const picked = this.chosen.has(a.id);
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
        class: `card sev-${a.severity} status-${a.status}${selected ? " is-selected" : ""}${picked ? " is-chosen" : ""}${this.cursor === a.id ? " is-cursor" : ""}`,
        "data-testid": "alert-card",
        tabindex: "-1",
        dataset: {
          alertId: a.id,
          status: a.status,
          severity: a.severity,
          firstSeen: String(Date.parse(a.first_seen) || 0),
          flapping: String(Boolean(a.flapping)),
        },
        "aria-label": label,
      },
      h(
        "div",
        { class: "card-head" },
        canAct
          ? h("input", {
              type: "checkbox",
              class: "card-pick",
              "data-testid": "pick",
              "aria-label": `Select ${label} (shift-click: a range)`,
              checked: picked,
              onclick: (ev) => this.pick(a.id, ev.target.checked, ev.shiftKey),
            })
          : null,
        h("span", { class: "card-type", "data-testid": "alert-type" }, humanize(a.alert_type)),
        repeats,
        a.flapping
          ? h(
              "span",
              {
                class: "badge badge-flapping",
                "data-testid": "alert-flapping",
                title: `Flapping: its condition opened ${a.flap_count} times lately (one alert, not escalated while it flaps)`,
              },
              `flapping ×${a.flap_count}`,
            )
          : null,
        shelvedNow(a)
          ? h(
              "span",
              { class: "badge badge-shelved", "data-testid": "alert-shelved", title: `Shelved by ${a.shelved_by ?? "?"}` },
              `shelved until ${clock(a.shelved_until)}`,
            )
          : null,
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
            class: "btn btn-small btn-shelve",
            "data-testid": shelvedNow(a) ? "unshelve-button" : "shelve-button",
            "aria-label": `${shelvedNow(a) ? "Unshelve" : "Shelve for an hour"} ${label}`,
            title: shelvedNow(a) ? "Back on the board now" : "Hide it and hold its escalation for an hour",
            disabled: busy,
            onclick: () => this.hooks.onShelve(a, !shelvedNow(a)),
          }, shelvedNow(a) ? "Unshelve" : "Shelve"),
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
      const n = this.order[sev].length;
      total += n;
      this.counts[sev].textContent = String(n);
      this.lists[sev].parentElement.classList.toggle("is-empty", n === 0);
      this.updateMore(sev);
    }
    const hidden = this.alerts.size - total;
    const pill = document.querySelector("[data-testid=open-count]");
    if (pill) pill.textContent = String(total);
    const note = document.querySelector("[data-testid=filtered-out]");
    if (note) {
      note.hidden = hidden <= 0;
      note.textContent = hidden > 0 ? `${hidden} hidden by the filters` : "";
    }
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
