// The Trends view: the tenant-wide alert rate (new and resolved per bucket,
// live with the socket) and, per client, its metric snapshots of the last
// 24 hours as small charts (open alerts by severity, tickets overdue,
// devices offline, guards present).
//
// Data is read when the view is shown (and again after the session's full
// reloads, while shown); while shown, pushes move it: `alert_new` and a
// resolving `alert_updated` count in their bucket, `metrics_update` adds a
// snapshot point. A push is counted at most once per alert, and only if the
// REST answer cannot hold it already: its time is after the answer's
// `generated_at`, or it arrived well after the answer (a backdated alert).

import { timeChart } from "./charts.js";
import { h } from "./dom.js";
import { SEVERITIES } from "./board.js";

export const RATE_PERIODS = [
  { hours: 6, bucket: 5, label: "Last 6 h" },
  { hours: 24, bucket: 5, label: "Last 24 h" },
  { hours: 72, bucket: 15, label: "Last 3 days" },
  { hours: 168, bucket: 60, label: "Last 7 days" },
];
const SNAPSHOT_HOURS = 24;
const SNAPSHOT_STEP_MS = 5 * 60_000;
const SNAPSHOT_LIMIT = 288 + 12;
const LOADS_AT_ONCE = 4; // snapshot reads in flight at most
const LATE_PUSH_MS = 2000; // a push this long after the answer is not in it
const DRAW_GAP_MS = 250; // redraws coalesce over this
const SLIDE_EVERY_MS = 30_000; // the rate window moves with the clock

const SEVERITY_SERIES = SEVERITIES.map((s) => ({ key: s, label: s[0] + s.slice(1).toLowerCase(), tone: s.toLowerCase() }));
const SNAPSHOT_CHARTS = [
  { metric: "alerts_open", title: "Open alerts by severity", series: SEVERITY_SERIES, stacked: true },
  { metric: "tickets_overdue", title: "Tickets overdue", series: [{ key: "tickets_overdue", label: "Overdue", tone: "high" }] },
  {
    metric: "devices_offline",
    title: "Devices offline",
    series: [{ key: "devices_offline", label: "Offline", tone: "critical" }],
  },
  {
    metric: "guards_present",
    title: "Guards present",
    series: [
      { key: "attendance_present", label: "Present", tone: "ok" },
      { key: "attendance_expected", label: "Expected", tone: "muted", line: true, dashed: true },
    ],
  },
];

/** The chart values of one snapshot's metrics. */
export function snapshotValues(m) {
  const sev = m.alerts_open_by_severity ?? {};
  return {
    ...Object.fromEntries(SEVERITIES.map((s) => [s, sev[s] ?? 0])),
    tickets_overdue: m.tickets_overdue ?? 0,
    devices_offline: m.devices_offline ?? 0,
    attendance_present: m.attendance_present ?? 0,
    attendance_expected: m.attendance_expected ?? 0,
  };
}

/** The alert rate of one REST answer, moved by pushes. */
export class RateSeries {
  constructor(answer, receivedAt = Date.now()) {
    this.width = answer.bucket_minutes * 60_000;
    this.hours = answer.hours;
    this.generatedAt = Date.parse(answer.generated_at);
    this.receivedAt = receivedAt;
    this.buckets = answer.buckets.map((b) => ({ t: Date.parse(b.start), new: b.new, resolved: b.resolved }));
    this.counted = { new: new Set(), resolved: new Set() };
  }

  /** Move the window so its last bucket holds `now` (ms); true if it moved. */
  slide(now) {
    const current = Math.floor(now / this.width) * this.width;
    let moved = false;
    while (this.buckets.length && this.buckets.at(-1).t < current) {
      this.buckets.push({ t: this.buckets.at(-1).t + this.width, new: 0, resolved: 0 });
      this.buckets.shift();
      moved = true;
    }
    return moved;
  }

  /** Count one alert `kind` ("new" | "resolved") at ISO time `at`; true if it counted. */
  count(kind, alertId, at, arrived = Date.now()) {
    const t = Date.parse(at ?? "");
    if (Number.isNaN(t) || this.counted[kind].has(alertId)) return false;
    if (t <= this.generatedAt && arrived - this.receivedAt < LATE_PUSH_MS) return false; // in the answer
    this.counted[kind].add(alertId);
    this.slide(t);
    const first = this.buckets[0]?.t ?? t;
    const i = Math.floor((t - first) / this.width);
    if (i < 0 || i >= this.buckets.length) return false;
    this.buckets[i][kind] += 1;
    return true;
  }

  /** A pushed message: true if it changed a count. */
  apply(msg, arrived = Date.now()) {
    const a = msg.alert;
    if (!a) return false;
    if (msg.type === "alert_new" && a.status !== "SUPPRESSED") return this.count("new", a.id, a.first_seen, arrived);
    if (msg.type === "alert_updated" && a.status === "RESOLVED") return this.count("resolved", a.id, a.resolved_at, arrived);
    return false;
  }

  total(kind) {
    return this.buckets.reduce((sum, b) => sum + b[kind], 0);
  }
}

export class TrendsView {
  /**
   * @param {HTMLElement} root the view's (empty) section
   * @param {object} deps
   * @param {import("./api.js").Api} deps.api
   * @param {() => {client_id: string, name: string}[]} deps.clients the clients to show
   * @param {() => boolean|null} deps.mayReadSnapshots false for a site-only user (snapshots
   *   are client-wide), null while unknown (the next refresh() reads them)
   */
  constructor(root, deps) {
    this.root = root;
    this.deps = deps;
    this.visible = false;
    this.generation = 0; // bumped per load: late answers of an older one are dropped
    this.period = RATE_PERIODS[1];
    this.rate = null; // RateSeries once loaded
    this.rateLoad = null; // the rate read in flight (a token)
    this.held = null; // pushes that arrived while the rate was being read
    this.snapshots = new Map(); // client_id -> {name, points, state}
    this.drawTimer = null;
    this.dirty = new Set(); // "rate" and client ids to redraw
    this.slideTimer = null;

    this.periodSelect = h(
      "select",
      { class: "view-select", "data-testid": "rate-period", "aria-label": "Alert rate period", onchange: () => this.choosePeriod() },
      RATE_PERIODS.map((p, i) => h("option", { value: String(i), selected: p === this.period }, p.label)),
    );
    this.rateSummary = h("span", { class: "muted small", "data-testid": "rate-summary" });
    this.rateBox = h("div", { class: "chart-box", "data-testid": "rate-box" });
    this.cards = h("div", { class: "trend-grid", "data-testid": "client-trends" });
    root.replaceChildren(
      h(
        "section",
        { class: "panel", "aria-labelledby": "rate-title" },
        h(
          "div",
          { class: "panel-head" },
          h("h2", { id: "rate-title" }, "Alert rate ", h("span", { class: "muted small" }, "all clients you see")),
          this.rateSummary,
          this.periodSelect,
        ),
        this.rateBox,
      ),
      h(
        "section",
        { class: "panel", "aria-labelledby": "client-trends-title" },
        h(
          "div",
          { class: "panel-head" },
          h("h2", { id: "client-trends-title" }, "Clients · last 24 h"),
          h("span", { class: "muted small" }, "5-minute snapshots · live"),
        ),
        this.cards,
      ),
    );
  }

  show() {
    this.visible = true;
    this.load();
    clearInterval(this.slideTimer);
    this.slideTimer = setInterval(() => this.rate?.slide(Date.now()) && this.drawSoon("rate"), SLIDE_EVERY_MS);
  }

  hide() {
    this.visible = false;
    this.generation += 1;
    clearInterval(this.slideTimer);
  }

  /** The session reloaded everything (a fresh or resynced stream): read again if shown. */
  refresh() {
    if (this.visible) this.load();
  }

  destroy() {
    this.hide();
    clearTimeout(this.drawTimer);
    this.root.replaceChildren();
  }

  choosePeriod() {
    this.period = RATE_PERIODS[Number(this.periodSelect.value)] ?? RATE_PERIODS[1];
    this.loadRate(this.generation);
  }

  load() {
    this.generation += 1;
    const gen = this.generation;
    this.loadRate(gen);
    this.loadSnapshots(gen);
  }

  // --- the alert rate ----------------------------------------------------------------

  async loadRate(gen) {
    const load = {}; // this read; a newer one (another period) supersedes it
    this.rateLoad = load;
    this.held = [];
    this.root.dataset.rateLoaded = "false";
    const { hours, bucket } = this.period;
    const current = () => gen === this.generation && this.rateLoad === load;
    try {
      const answer = await this.deps.api.alertRate(hours, bucket);
      if (!current()) return;
      this.rate = new RateSeries(answer);
      this.rate.slide(Date.now());
      for (const [msg, arrived] of this.held ?? []) this.rate.apply(msg, arrived);
      this.root.dataset.rateLoaded = "true";
    } catch (err) {
      if (!current()) return;
      this.rate = null;
      this.rateSummary.replaceChildren();
      this.rateBox.replaceChildren(
        h("p", { class: "muted small" }, `Could not read the alert rate: ${err.describe?.() ?? err.message}`),
      );
      return;
    } finally {
      if (current()) this.held = null;
    }
    this.drawSoon("rate", 0);
  }

  drawRate() {
    const r = this.rate;
    if (!r) return;
    const chart = timeChart({
      title: `Alerts new and resolved per ${r.width / 60_000} minutes`,
      series: [
        { key: "new", label: "New", tone: "low" },
        { key: "resolved", label: "Resolved", tone: "ok" },
      ],
      points: r.buckets.map((b) => ({ t: b.t, values: { new: b.new, resolved: b.resolved } })),
      from: r.buckets[0]?.t,
      to: (r.buckets.at(-1)?.t ?? 0) + r.width,
      width: 960,
      height: 200,
      testid: "rate-chart",
      data: { hours: String(r.hours), bucketMinutes: String(r.width / 60_000) },
      legend: true,
    });
    this.rateBox.replaceChildren(chart);
    const newTotal = r.total("new");
    const resolvedTotal = r.total("resolved");
    this.rateSummary.replaceChildren(
      "new ",
      h("strong", { "data-testid": "rate-new-total" }, String(newTotal)),
      " · resolved ",
      h("strong", { "data-testid": "rate-resolved-total" }, String(resolvedTotal)),
    );
  }

  // --- per-client snapshots ----------------------------------------------------------

  async loadSnapshots(gen) {
    const clients = this.deps.clients();
    this.snapshots = new Map(clients.map((c) => [c.client_id, { name: c.name, points: [], state: "loading" }]));
    this.root.dataset.snapshotsLoaded = "false";
    const may = this.deps.mayReadSnapshots();
    if (may === null) {
      this.cards.replaceChildren(h("p", { class: "muted small" }, "Waiting for the live connection…"));
      return;
    }
    if (!may) {
      this.cards.replaceChildren(
        h("p", { class: "muted", "data-testid": "trends-denied" }, "Snapshots count a whole client; your access covers some of its sites only."),
      );
      this.root.dataset.snapshotsLoaded = "true";
      return;
    }
    this.cards.replaceChildren(...clients.map((c) => this.card(c.client_id)));
    if (!clients.length) this.cards.append(h("p", { class: "muted" }, "No clients visible to you."));
    // Read by window_start from a step before the 24 hours (a snapshot whose window
    // ends inside them may start before); drawn by window_end (card()). Rounded: cached.
    const earliest = Date.now() - SNAPSHOT_HOURS * 3_600_000 - SNAPSHOT_STEP_MS;
    const since = new Date(Math.floor(earliest / SNAPSHOT_STEP_MS) * SNAPSHOT_STEP_MS);
    const queue = [...clients];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const entry = this.snapshots.get(c.client_id);
        try {
          const answer = await this.deps.api.snapshots(c.client_id, since.toISOString(), SNAPSHOT_LIMIT);
          if (gen !== this.generation) return;
          entry.points = answer.items.map((s) => ({ t: Date.parse(s.window_end), values: snapshotValues(s.metrics ?? {}) }));
          entry.state = "ok";
        } catch (err) {
          if (gen !== this.generation) return;
          entry.state = err.status === 403 ? "denied" : "error";
          entry.error = err.describe?.() ?? String(err.message);
        }
        this.drawSoon(c.client_id, 0);
      }
    };
    await Promise.all(Array.from({ length: LOADS_AT_ONCE }, worker));
    if (gen === this.generation) this.root.dataset.snapshotsLoaded = "true";
  }

  /** A pushed snapshot of one client: a new point (or a newer copy of the last). */
  addSnapshot(clientId, metrics) {
    const entry = this.snapshots.get(clientId);
    const t = Date.parse(metrics?.window_end ?? "");
    if (!entry || entry.state !== "ok" || Number.isNaN(t)) return;
    const last = entry.points.at(-1);
    if (last && t < last.t) return;
    if (last && t === last.t) entry.points.pop();
    entry.points.push({ t, values: snapshotValues(metrics) });
    const oldest = Date.now() - SNAPSHOT_HOURS * 3_600_000 - SNAPSHOT_STEP_MS;
    while (entry.points.length && entry.points[0].t < oldest) entry.points.shift();
    this.drawSoon(clientId);
  }

  card(clientId) {
    const entry = this.snapshots.get(clientId);
    const from = Date.now() - SNAPSHOT_HOURS * 3_600_000; // the last 24 hours
    const shown = entry.points.filter((p) => p.t >= from);
    const body =
      entry.state === "loading"
        ? h("p", { class: "muted small" }, "Loading…")
        : entry.state === "denied"
          ? h("p", { class: "muted small" }, "You may not see this client's snapshots.")
          : entry.state === "error"
            ? h("p", { class: "muted small" }, `Could not read the snapshots: ${entry.error}`)
            : shown.length === 0
              ? h("p", { class: "muted small", "data-testid": "trend-empty" }, "No snapshots in the last 24 hours.")
              : h(
                  "div",
                  { class: "trend-charts" },
                  SNAPSHOT_CHARTS.map((c) =>
                    timeChart({
                      title: c.title,
                      series: c.series,
                      points: shown,
                      from,
                      to: Date.now(),
                      step: SNAPSHOT_STEP_MS,
                      stacked: c.stacked,
                      width: 300,
                      height: 110,
                      testid: "trend-chart",
                      data: { metric: c.metric },
                    }),
                  ),
                );
    return h(
      "article",
      { class: "trend-card", "data-testid": "client-trend", dataset: { clientId, state: entry.state, points: String(shown.length) } },
      h("h3", { class: "tile-name", title: clientId }, entry.name),
      body,
    );
  }

  // --- pushes and drawing --------------------------------------------------------------

  /** A pushed socket message (the session's observer). */
  apply(msg) {
    if (!this.visible) return;
    if (msg.type === "metrics_update") {
      for (const item of msg.items ?? [msg]) this.addSnapshot(item.client_id, item.metrics);
      return;
    }
    if (msg.type !== "alert_new" && msg.type !== "alert_updated") return;
    if (this.held) this.held.push([msg, Date.now()]);
    else if (this.rate?.apply(msg)) this.drawSoon("rate");
  }

  drawSoon(what, delay = DRAW_GAP_MS) {
    this.dirty.add(what);
    if (this.drawTimer && delay > 0) return;
    clearTimeout(this.drawTimer);
    this.drawTimer = setTimeout(() => {
      this.drawTimer = null;
      if (!this.visible) return;
      const dirty = this.dirty;
      this.dirty = new Set();
      for (const what of dirty) {
        if (what === "rate") this.drawRate();
        else if (this.snapshots.has(what)) {
          const old = this.cards.querySelector(`[data-client-id="${CSS.escape(what)}"]`);
          old?.replaceWith(this.card(what));
        }
      }
    }, delay);
  }
}
