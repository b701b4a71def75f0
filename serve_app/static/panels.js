// The panels around the board: client tiles, incidents, the backpressure
// banner and the connection indicator.

import { age, clock, h, humanize } from "./dom.js";
import { SEVERITIES } from "./board.js";

export class ClientTiles {
  constructor(root) {
    this.root = root;
    this.tiles = new Map(); // client_id -> overview tile
  }

  name(clientId) {
    return this.tiles.get(clientId)?.name ?? clientId;
  }

  /** The tiles of GET /api/noc/overview. */
  render(tiles) {
    this.tiles = new Map(tiles.map((t) => [t.client_id, t]));
    this.root.replaceChildren(...tiles.map((t) => this.tile(t)));
    if (!tiles.length) this.root.append(h("p", { class: "muted" }, "No clients visible to you."));
  }

  /** A pushed snapshot (metrics_update) of one client. */
  updateMetrics(clientId, metrics, windowEnd) {
    const t = this.tiles.get(clientId);
    if (!t || !metrics) return;
    t.latest_snapshot = { ...(t.latest_snapshot ?? {}), metrics, window_end: windowEnd ?? metrics.window_end };
    this.root.querySelector(`[data-client-id="${CSS.escape(clientId)}"]`)?.replaceWith(this.tile(t));
  }

  tile(t) {
    const snap = t.latest_snapshot;
    const m = snap?.metrics;
    const worst = SEVERITIES.find((s) => (t.open_alerts?.[s] ?? 0) > 0);
    return h(
      "article",
      { class: `tile ${worst ? `worst-${worst}` : "all-clear"}`, "data-testid": "client-tile", dataset: { clientId: t.client_id } },
      h(
        "header",
        { class: "tile-head" },
        h("h3", { class: "tile-name", title: t.client_id }, t.name),
        h("span", { class: "tile-total", "data-testid": "tile-open-total", title: "Open alerts" }, String(t.open_total ?? 0)),
      ),
      h(
        "div",
        { class: "sev-strip", "aria-label": "Open alerts by severity" },
        SEVERITIES.map((s) =>
          h("span", { class: `sev-chip sev-${s}${t.open_alerts?.[s] ? "" : " zero"}`, title: humanize(s) }, `${s[0]} ${t.open_alerts?.[s] ?? 0}`),
        ),
      ),
      m
        ? h(
            "dl",
            { class: "stats", "data-testid": "tile-snapshot" },
            stat("Tickets", m.tickets_open, m.tickets_overdue ? `${m.tickets_overdue} overdue` : null),
            stat("Work orders", m.work_orders_pending, m.work_orders_overdue ? `${m.work_orders_overdue} overdue` : null),
            stat("Guards", `${m.attendance_present ?? 0}/${m.attendance_expected ?? 0}`, m.attendance_missing ? `${m.attendance_missing} missing` : null),
            stat("Devices off", `${m.devices_offline ?? 0}/${m.devices_total ?? 0}`, null, m.devices_offline > 0),
          )
        : h("p", { class: "muted small no-snap" }, "No snapshot yet"),
      snap?.window_end ? h("footer", { class: "muted small" }, `snapshot ${clock(snap.window_end)}`) : null,
    );
  }
}

function stat(label, value, note, warn = false) {
  return h(
    "div",
    { class: `stat${note || warn ? " warn" : ""}` },
    h("dt", {}, label),
    h("dd", {}, String(value ?? 0), note ? h("small", {}, ` ${note}`) : null),
  );
}

const INCIDENT_ORDER = ["NEW", "ACKNOWLEDGED", "ASSIGNED", "IN_PROGRESS", "RESOLVED", "CLOSED"];

/** The transitions an incident in each state offers: [action, label, capability]. */
export const INCIDENT_ACTIONS = {
  NEW: [["acknowledge", "Ack", "noc:ack_alerts"], ["assign", "Take", "noc:assign_incidents"], ["resolve", "Resolve…", "noc:assign_incidents"]],
  ACKNOWLEDGED: [["assign", "Take", "noc:assign_incidents"], ["resolve", "Resolve…", "noc:assign_incidents"]],
  ASSIGNED: [["start", "Start", "noc:assign_incidents"], ["resolve", "Resolve…", "noc:assign_incidents"]],
  IN_PROGRESS: [["resolve", "Resolve…", "noc:assign_incidents"]],
  RESOLVED: [["close", "Close", "noc:assign_incidents"]],
  CLOSED: [],
};

export class IncidentList {
  /**
   * @param {HTMLElement} root
   * @param {(clientId: string) => string} clientName
   * @param {object} [hooks]
   * @param {(incident: object, action: string) => void} [hooks.onAction]
   * @param {(capability: string) => boolean} [hooks.can] may the user do it?
   */
  constructor(root, clientName, hooks = {}) {
    this.root = root;
    this.clientName = clientName;
    this.hooks = hooks;
    this.items = new Map();
    this.busy = new Set(); // incident ids with a request in flight
  }

  setBusy(id, busy) {
    if (busy) this.busy.add(id);
    else this.busy.delete(id);
    this.render();
  }

  reset(items) {
    this.items = new Map(items.map((i) => [i.id, i]));
    this.render();
  }

  upsert(incident) {
    this.items.set(incident.id, { ...this.items.get(incident.id), ...incident });
    this.render();
  }

  render() {
    const items = [...this.items.values()]
      .filter((i) => i.state !== "CLOSED")
      .sort(
        (a, b) =>
          INCIDENT_ORDER.indexOf(a.state) - INCIDENT_ORDER.indexOf(b.state) ||
          SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
          Date.parse(b.created_at) - Date.parse(a.created_at),
      )
      .slice(0, 50);
    this.root.replaceChildren(
      ...items.map((i) =>
        h(
          "li",
          {
            class: `incident sev-${i.severity}`,
            "data-testid": "incident",
            dataset: { incidentId: i.id, state: i.state, source: i.source ?? "manual", clientId: i.client_id },
          },
          h(
            "div",
            { class: "incident-head" },
            h("span", { class: `sev-chip sev-${i.severity}` }, i.severity),
            h("span", { class: "badge" }, humanize(i.state)),
            i.source?.startsWith("rule:")
              ? h(
                  "span",
                  { class: "badge badge-auto", "data-testid": "incident-auto", title: "Opened by the correlation rule" },
                  "auto",
                )
              : null,
            i.priority ? h("span", { class: "muted small" }, i.priority) : null,
          ),
          h("p", { class: "incident-title" }, i.title),
          h(
            "div",
            { class: "muted small" },
            h("span", { "data-testid": "incident-alert-count" }, `${i.alert_count ?? (i.alert_ids ?? []).length} alerts`),
            ` · ${this.clientName(i.client_id)} · ${age(i.created_at)}`,
            i.assignee ? ` · ${i.assignee}` : "",
            i.sla_met === false ? h("span", { class: "sla-miss" }, " · SLA missed") : null,
          ),
          this.actions(i),
        ),
      ),
    );
    if (!items.length) this.root.append(h("li", { class: "muted small empty-note" }, "No open incidents"));
  }

  actions(i) {
    const { onAction, can } = this.hooks;
    if (!onAction) return null;
    const offered = (INCIDENT_ACTIONS[i.state] ?? []).filter(([, , cap]) => !can || can(cap));
    if (!offered.length) return null;
    const busy = this.busy.has(i.id);
    return h(
      "div",
      { class: "incident-actions" },
      offered.map(([action, label]) =>
        h("button", {
          type: "button",
          class: "btn btn-small",
          "data-testid": `incident-${action}`,
          "aria-label": `${label.replace("…", "")} incident: ${i.title}`,
          title: action === "assign" ? "Assign it to me" : undefined,
          disabled: busy,
          onclick: () => onAction(i, action),
        }, label),
      ),
    );
  }
}

const LEVEL_TEXT = {
  ELEVATED: "Alert storm: backpressure ELEVATED — new INFO alerts are being suppressed (stored, not pushed).",
  CRITICAL: "Alert storm: backpressure CRITICAL — low-priority alerts are being suppressed; focus on HIGH and CRITICAL.",
  UNKNOWN: "Backpressure level unknown: the backpressure service is not answering.",
};

export class BackpressureBanner {
  constructor(el) {
    this.el = el;
  }

  set(level) {
    const shown = level && level !== "NORMAL";
    this.el.hidden = !shown;
    this.el.dataset.level = level ?? "NORMAL";
    this.el.textContent = shown ? (LEVEL_TEXT[level] ?? `Backpressure ${level}`) : "";
  }
}

const STATE_TEXT = {
  connecting: "connecting",
  connected: "connected",
  reconnecting: "reconnecting",
  offline: "offline",
};

export class ConnectionIndicator {
  constructor(el) {
    this.el = el;
    this.label = el.querySelector(".conn-label");
  }

  set(state, detail = "") {
    this.el.dataset.state = state;
    this.label.textContent = STATE_TEXT[state] ?? state;
    this.el.title = detail ? `Live updates: ${state} (${detail})` : `Live updates: ${state}`;
  }
}
