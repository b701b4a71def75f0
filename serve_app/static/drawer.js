// The alert detail drawer: one alert, read fresh from the API, with every
// field and all of its metadata, its timeline (timeline.js: what happened
// to it, oldest first) and its notifications (each delivery and its
// attempts). Non-modal: the board stays usable beside it. One drawer for
// the page; opening another alert replaces what it shows.
//
// Values are shown as the API gives them (masked already for a user
// without noc:view_pii). A pushed snapshot of the open alert refreshes it
// and re-reads the notifications, at most once per READ_GAP_MS, and the
// timeline with them when the snapshot changed a field the timeline tells
// (timelineKey) — no polling for it. While a delivery is pending, and for
// FOLLOW_MS after the alert changed (or the drawer opened), the
// notifications are re-read, as a send is not pushed.

import { freshness, newer } from "./board.js";
import { clockSeconds, dateTime, h, humanize, shortId, valueText } from "./dom.js";
import { timelineKey, timelineView } from "./timeline.js";

const READ_GAP_MS = 1000; // at most one read of the notifications per second
const FOLLOW_MS = 10_000; // keep looking this long after a change ...
const FOLLOW_EVERY_MS = 2000; // ... this often
const PENDING_MAX_WAIT_MS = 15_000; // a pending delivery's next try is looked at by then
const REFUSED = {
  403: "You may not see this alert.",
  404: "This alert does not exist, or not for you.",
};

export class AlertDrawer {
  /**
   * @param {HTMLElement} host the element the drawer is appended to
   * @param {object} deps
   * @param {import("./api.js").Api} deps.api
   * @param {(clientId: string) => string} deps.clientName
   * @param {(siteId: string) => string|null} deps.siteName null when unknown
   * @param {() => string|null} deps.me the signed-in user id
   * @param {(alertId: string|null) => void} [deps.onToggle] the alert now shown (null: closed)
   * @param {HTMLElement|null} [deps.below] the sticky header the drawer starts under
   */
  constructor(host, deps) {
    this.deps = deps;
    this.alert = null; // the snapshot shown
    this.returnFocus = null; // () => the element to focus on close
    this.generation = 0; // bumped on open and close: late answers of before are dropped
    this.reading = null; // the generation whose notifications read is in flight
    this.readAgain = false;
    this.alertStale = false; // read the alert too on the next scheduled read
    this.readTimer = null;
    this.readAt = 0;
    this.lastRead = 0;
    this.changedAt = 0;
    this.logShown = null; // the notifications shown, as JSON: unchanged ones are not redrawn
    this.timelineReading = null; // the generation whose timeline read is in flight
    this.timelineAgain = false;
    this.timelineStale = false; // read the timeline too on the next scheduled read
    this.timelineFor = null; // timelineKey of the snapshot the timeline was last read for
    this.timelineShown = null; // the timeline shown, as JSON

    this.title = h("h2", { id: "drawer-title", class: "drawer-title", tabindex: "-1", "data-testid": "drawer-type" });
    this.chips = h("div", { class: "drawer-chips" });
    this.error = h("p", { class: "drawer-error", role: "alert", "data-testid": "drawer-error", hidden: true });
    this.details = h("div", { class: "drawer-alert" });
    this.log = h("div", { class: "drawer-log", "aria-live": "polite" });
    this.timeline = h("div", { class: "drawer-timeline", "aria-live": "polite" });
    this.el = h(
      "aside",
      {
        id: "alert-drawer",
        class: "drawer",
        role: "dialog",
        "aria-modal": "false",
        "aria-labelledby": "drawer-title",
        "data-testid": "alert-drawer",
        hidden: true,
      },
      h(
        "header",
        { class: "drawer-head" },
        h("div", { class: "drawer-heading" }, this.chips, this.title),
        h("button", {
          type: "button",
          class: "btn btn-ghost btn-small",
          "data-testid": "drawer-close",
          "aria-label": "Close details",
          onclick: () => this.close(),
        }, "Close"),
      ),
      h(
        "div",
        { class: "drawer-body" },
        this.error,
        this.details,
        h(
          "section",
          { class: "drawer-section", "data-testid": "drawer-timeline", "aria-labelledby": "drawer-timeline-title" },
          h("h3", { id: "drawer-timeline-title" }, "Timeline ", h("span", { class: "tl-order" }, "(oldest first)")),
          this.timeline,
        ),
        h(
          "section",
          { class: "drawer-section", "data-testid": "drawer-notifications", "aria-labelledby": "drawer-notifications-title" },
          h("h3", { id: "drawer-notifications-title" }, "Notifications"),
          this.log,
        ),
      ),
    );
    host.append(this.el);
    this.onKey = (ev) => {
      // Escape closes the drawer, unless a modal dialog (resolve) is the one to close.
      if (ev.key !== "Escape" || this.el.hidden || ev.defaultPrevented) return;
      if (document.querySelector("dialog[open]")) return;
      ev.preventDefault();
      this.close();
    };
    document.addEventListener("keydown", this.onKey);
    const below = deps.below;
    this.resize = below ? new ResizeObserver(() => this.el.style.setProperty("--drawer-top", `${below.offsetHeight}px`)) : null;
    this.resize?.observe(below);
  }

  /** The id of the alert shown, or null when closed. */
  get alertId() {
    return this.el.hidden ? null : (this.alert?.id ?? null);
  }

  /**
   * Show `alert` (the board's snapshot at once, then a fresh read).
   * @param {object} alert
   * @param {() => HTMLElement|null} returnFocus gives the element to focus on close
   */
  open(alert, returnFocus) {
    this.stopReading();
    this.generation += 1;
    this.alert = null;
    this.returnFocus = returnFocus;
    this.changedAt = Date.now();
    this.showError(null);
    this.render(alert);
    this.logShown = null;
    this.log.replaceChildren(h("p", { class: "muted small" }, "Loading…"));
    this.timelineShown = null;
    this.timeline.replaceChildren(h("p", { class: "muted small" }, "Loading…"));
    this.el.hidden = false;
    this.deps.onToggle?.(alert.id);
    this.title.focus();
    this.readAlert();
    this.readTimeline();
    this.readNotifications();
  }

  /** Read the alert, its timeline and its notifications again soon, e.g. after a reload of the board. */
  refresh() {
    if (this.alertId === null) return;
    this.alertStale = true;
    this.timelineStale = true;
    this.readSoon();
  }

  /** A snapshot from the board (pushed or loaded): shown if it is of this alert and newer. */
  update(alert) {
    if (alert.id !== this.alertId || !this.render(alert)) return;
    this.changedAt = Date.now();
    this.noteTimeline();
    this.readSoon();
  }

  close() {
    if (this.el.hidden) return;
    this.stopReading();
    this.generation += 1;
    this.el.hidden = true;
    this.alert = null;
    this.deps.onToggle?.(null);
    const target = this.returnFocus?.();
    this.returnFocus = null;
    if (target?.isConnected) target.focus();
  }

  /** Close and take the drawer off the page (sign-out). */
  destroy() {
    this.close();
    document.removeEventListener("keydown", this.onKey);
    this.resize?.disconnect();
    this.el.remove();
  }

  // --- reads -----------------------------------------------------------------

  async readAlert() {
    const { generation, alert } = this;
    try {
      const fresh = await this.deps.api.alert(alert.id);
      if (generation !== this.generation) return;
      this.showError(null);
      if (this.render(fresh) && this.noteTimeline()) this.readSoon();
    } catch (err) {
      if (generation !== this.generation || err.status === 401) return;
      const refused = REFUSED[err.status];
      if (refused) this.details.replaceChildren();
      this.showError(refused ?? `Could not refresh this alert: ${err.describe()}`);
    }
  }

  /** Read the notifications soon: `delay` ms from now, and READ_GAP_MS after the last read. */
  readSoon(delay = 0) {
    const at = Math.max(Date.now() + delay, this.lastRead + READ_GAP_MS);
    if (this.readTimer !== null && this.readAt <= at) return; // one comes sooner already
    clearTimeout(this.readTimer);
    this.readAt = at;
    this.readTimer = setTimeout(() => {
      this.readTimer = null;
      if (this.alertStale) {
        this.alertStale = false;
        this.readAlert();
      }
      if (this.timelineStale) {
        this.timelineStale = false;
        this.readTimeline();
      }
      this.readNotifications();
    }, at - Date.now());
  }

  async readNotifications() {
    const { generation, alert } = this;
    if (this.reading === generation) {
      this.readAgain = true;
      return;
    }
    this.reading = generation;
    this.lastRead = Date.now();
    try {
      const log = await this.deps.api.get(`/api/noc/alerts/${encodeURIComponent(alert.id)}/notifications`);
      if (generation !== this.generation) return;
      const json = JSON.stringify(log);
      if (json !== this.logShown) this.renderLog(log); // a polite live region: tell changes only
      this.logShown = json;
      this.followUp(log.deliveries ?? []);
    } catch (err) {
      if (generation !== this.generation || err.status === 401) return;
      const why = REFUSED[err.status] ? "You may not see the notifications of this alert." : `Could not load the notifications: ${err.describe()}`;
      this.logShown = null;
      this.log.replaceChildren(h("p", { class: "drawer-error", "data-testid": "notifications-error" }, why));
    } finally {
      if (this.reading === generation) {
        this.reading = null;
        if (this.readAgain) {
          this.readAgain = false;
          this.readSoon();
        }
      }
    }
  }

  /** Mark the timeline stale when the snapshot shown changed what it tells; returns whether it did. */
  noteTimeline() {
    if (timelineKey(this.alert) === this.timelineFor) return false;
    this.timelineStale = true;
    return true;
  }

  async readTimeline() {
    const { generation, alert } = this;
    if (this.timelineReading === generation) {
      this.timelineAgain = true;
      return;
    }
    this.timelineReading = generation;
    this.timelineFor = timelineKey(alert);
    try {
      const data = await this.deps.api.timeline(alert.id);
      if (generation !== this.generation) return;
      const json = JSON.stringify(data);
      if (json !== this.timelineShown) this.timeline.replaceChildren(timelineView(data, this.deps.me()));
      this.timelineShown = json;
    } catch (err) {
      if (generation !== this.generation || err.status === 401) return;
      const why = REFUSED[err.status] ? "You may not see the timeline of this alert." : `Could not load the timeline: ${err.describe()}`;
      this.timelineShown = null;
      this.timelineFor = null;
      this.timeline.replaceChildren(h("p", { class: "drawer-error", "data-testid": "timeline-error" }, why));
    } finally {
      if (this.timelineReading === generation) {
        this.timelineReading = null;
        if (this.timelineAgain) {
          this.timelineAgain = false;
          this.timelineStale = true;
          this.readSoon();
        }
      }
    }
  }

  /** Look again while a delivery is pending or the alert changed lately: a send is not pushed. */
  followUp(deliveries) {
    const now = Date.now();
    const pending = deliveries.filter((d) => d.state === "pending");
    if (pending.length) {
      const next = Math.min(...pending.map((d) => Date.parse(d.next_at ?? "") || now));
      this.readSoon(Math.min(Math.max(next - now + 250, READ_GAP_MS), PENDING_MAX_WAIT_MS));
    } else if (now - this.changedAt < FOLLOW_MS) {
      this.readSoon(FOLLOW_EVERY_MS);
    }
  }

  stopReading() {
    clearTimeout(this.readTimer);
    this.readTimer = null;
    this.readAgain = false;
    this.alertStale = false;
    this.timelineAgain = false;
    this.timelineStale = false;
    this.timelineFor = null;
    this.lastRead = 0;
  }

  showError(message) {
    this.error.textContent = message ?? "";
    this.error.hidden = !message;
  }

  // --- rendering ---------------------------------------------------------------

  /** Show a snapshot unless an older one; returns whether it was shown. */
  render(a) {
    if (this.alert && this.alert.id === a.id && !newer(freshness(a), freshness(this.alert))) return false;
    this.alert = a;
    this.el.dataset.alertId = a.id;
    this.el.dataset.status = a.status;
    this.title.textContent = humanize(a.alert_type);
    this.title.title = a.alert_type;
    this.chips.replaceChildren(
      h("span", { class: `sev-chip sev-${a.severity}`, "data-testid": "drawer-severity" }, a.severity),
      h("span", { class: `badge badge-${a.status}`, "data-testid": "drawer-status" }, a.status),
    );
    this.details.replaceChildren(
      h("p", { class: "drawer-msg", "data-testid": "drawer-message" }, a.message),
      h("dl", { class: "facts", "data-testid": "drawer-facts" }, this.facts(a).map((f) => fact(...f))),
      metadataSection(a.metadata),
    );
    return true;
  }

  /** [testid key, label, value, title] of each fact shown. */
  facts(a) {
    const who = (id) => (id ? (id === this.deps.me() ? "you" : shortId(id)) : null);
    const when = (iso) => (iso ? dateTime(iso) : null);
    const joined = (...parts) => parts.filter(Boolean).join(" · ") || "—";
    const site = a.site_id ? (this.deps.siteName(a.site_id) ?? shortId(a.site_id)) : "—";
    const level = a.escalation_level ? `level ${a.escalation_level}` : null;
    return [
      ["client", "Client", this.deps.clientName(a.client_id), a.client_id],
      ["site", "Site", site, a.site_id],
      ["entity", "Entity", joined(a.entity_type, a.entity_id)],
      ["first-seen", "First seen", when(a.first_seen), a.first_seen],
      ["last-seen", "Last seen", when(a.last_seen), a.last_seen],
      ["repeats", "Repeats", String(a.suppressed_count ?? 0), "Folded duplicates"],
      a.flap_count
        ? ["flaps", "Flaps", `${a.flap_count} opens${a.flapping ? " (flapping now)" : ""}`, "Times its condition opened in the flap"]
        : null,
      ["acknowledged", "Acknowledged", joined(who(a.acknowledged_by), when(a.acknowledged_at)), a.acknowledged_by],
      a.assigned_to || a.assigned_at
        ? ["assigned", "Assigned", joined(who(a.assigned_to), when(a.assigned_at)), a.assigned_to]
        : null,
      ["escalation", "Escalation", joined(level, a.escalated_to && `to ${who(a.escalated_to)}`, when(a.escalated_at)), a.escalated_to],
      ["resolved", "Resolved", joined(who(a.resolved_by), when(a.resolved_at), a.resolution_notes), a.resolved_by],
      ["suppression", "Suppression", a.suppression_reason || "—"],
      ["source", "Source", a.source || "—"],
      ["id", "Alert id", a.id],
    ].filter(Boolean);
  }

  renderLog(log) {
    const deliveries = log.deliveries ?? [];
    if (!deliveries.length) {
      this.log.replaceChildren(h("p", { class: "muted small", "data-testid": "notifications-empty" }, "No notifications sent for this alert"));
      return;
    }
    const tries = new Map();
    for (const t of log.attempts ?? []) {
      if (!tries.has(t.delivery_id)) tries.set(t.delivery_id, []);
      tries.get(t.delivery_id).push(t);
    }
    this.log.replaceChildren(h("ol", { class: "deliveries" }, deliveries.map((d) => deliveryRow(d, tries.get(d.id) ?? []))));
  }
}

function fact(key, label, value, title) {
  return h(
    "div",
    { class: "kv" },
    h("dt", {}, label),
    h("dd", { "data-testid": `drawer-${key}`, title: title ?? undefined }, value ?? "—"),
  );
}

function metadataSection(metadata) {
  const entries = Object.entries(metadata ?? {});
  return h(
    "section",
    { class: "drawer-section", "data-testid": "drawer-metadata", "aria-labelledby": "drawer-metadata-title" },
    h("h3", { id: "drawer-metadata-title" }, "Metadata"),
    entries.length
      ? h("dl", { class: "facts facts-meta" }, entries.map(([k, v]) => h("div", { class: "kv" }, h("dt", { title: k }, humanize(k)), metaValue(v))))
      : h("p", { class: "muted small" }, "None"),
  );
}

function metaValue(v) {
  if (v === null || v === undefined) return h("dd", {}, "—");
  if (typeof v === "object") return h("dd", { class: "meta-json" }, JSON.stringify(v, null, 1));
  return h("dd", { title: String(v) }, valueText(v));
}

function deliveryRow(d, attempts) {
  const level = d.kind === "resolved" ? "resolved" : `level ${d.level}`;
  const done = d.done_at ? `done ${clockSeconds(d.done_at)}` : d.next_at ? `next try ${clockSeconds(d.next_at)}` : null;
  return h(
    "li",
    { class: `delivery state-${d.state}`, "data-testid": "delivery-row", dataset: { deliveryId: d.id, state: d.state } },
    h(
      "div",
      { class: "delivery-head" },
      h("span", { class: "delivery-level", "data-testid": "delivery-level" }, level),
      h("span", { class: "delivery-contact", "data-testid": "delivery-contact", title: d.contact_name }, d.contact_name),
      h("span", { class: `delivery-state state-${d.state}`, "data-testid": "delivery-state" }, d.state),
    ),
    h(
      "div",
      { class: "delivery-sub muted small" },
      h("span", { "data-testid": "delivery-channel" }, d.channel),
      " · ",
      h("span", { "data-testid": "delivery-attempts" }, `${d.attempts} ${d.attempts === 1 ? "attempt" : "attempts"}`),
      done ? ` · ${done}` : null,
    ),
    d.last_error ? h("p", { class: "delivery-error", "data-testid": "delivery-error" }, d.last_error) : null,
    attempts.length
      ? h("ol", { class: "attempts", "aria-label": `Attempts to ${d.contact_name}` }, attempts.map(attemptRow))
      : null,
  );
}

function latency(ms) {
  if (typeof ms !== "number") return "";
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function attemptRow(t) {
  const result = t.status_code ?? t.error ?? "";
  return h(
    "li",
    { class: `attempt outcome-${t.outcome}`, "data-testid": "attempt-row" },
    h("span", { class: "attempt-n" }, `#${t.attempt}`),
    h("span", { class: "attempt-outcome" }, t.outcome),
    h("span", { class: "attempt-result", title: t.error ?? undefined }, String(result)),
    h("span", { class: "attempt-latency" }, latency(t.latency_ms)),
    h("time", { class: "attempt-at", datetime: t.at, title: dateTime(t.at) }, clockSeconds(t.at)),
  );
}
