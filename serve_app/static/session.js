// One signed-in session of the dashboard: the REST loads, the live socket,
// and the routing of its events to the board and the panels.
//
// Consistency: the socket connects first; a fresh connection (no resume)
// triggers a full REST reload, and the events that arrive while a reload runs
// are held and applied after it (the board ignores snapshots older than what
// it has). A reconnect resumes from the last seq; a "resync" reloads by REST.
// While the socket is down the page polls REST so it never goes stale.

import { Alarm } from "./alarm.js";
import { Api } from "./api.js";
import { AlertBoard } from "./board.js";
import { BulkBar } from "./bulk.js";
import { clock, humanize, shortId, toast } from "./dom.js";
import { FilterBar, matcher } from "./filters.js";
import { bindShortcuts } from "./keys.js";
import { MaintenancePanel } from "./maintenance.js";
import { BackpressureBanner, ClientTiles, ConnectionIndicator, IncidentList } from "./panels.js";
import { LiveSocket } from "./socket.js";

const FIRST_LOAD_WAIT_MS = 1500; // give the socket this long before the first REST load
const POLL_MS = 15_000; // REST refresh while the socket is down
const OVERVIEW_EVERY_MS = 2000; // at most one overview reload per this, on pushes
const TICK_MS = 5000;
const ACKABLE = new Set(["NEW", "ESCALATED"]);
const BOARD_MAX = 10_000; // open alerts loaded for the board (pages of 500)
const PERF_KEPT = 200;

/** The page's own timings (ms, performance.now), for bench/dashboard_render.py
 * and for a curious operator's console: the last full load (`load`: REST and
 * drawing; `render`: drawing the board from the loaded alerts; `firstPage`:
 * until the first page of alerts was drawn) and the last PERF_KEPT live
 * updates (`live`: applying a pushed alert to the board; `livePainted`:
 * until the frame after it). */
export const perf = { load: null, render: null, firstPage: null, live: [], livePainted: [] };
window.nocPerf = perf;

function keep(list, value) {
  list.push(value);
  if (list.length > PERF_KEPT) list.shift();
}

export const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

export class Session {
  constructor(token, onEnd) {
    this.onEnd = onEnd;
    this.userId = null;
    this.pending = null; // events held while a reload runs
    this.loaded = false;
    this.reloading = false;
    this.reloadAgain = false;
    this.timers = [];
    this.overviewTimer = null;
    this.api = new Api(token, () => this.end("Your token was refused; sign in again."));
    this.tiles = new ClientTiles($("client-tiles"));
    this.incidents = new IncidentList($("incidents"), (id) => this.tiles.name(id), {
      onAction: (incident, action) => this.incidentAction(incident, action),
      can: (capability) => this.capabilities === null || this.capabilities.has(capability),
    });
    this.board = new AlertBoard($("alert-board"), {
      onAcknowledge: (a) => this.acknowledge(a),
      onResolve: (a) => this.askResolve(a),
      onShelve: (a, on) => this.shelve(a, on),
      clientName: (id) => this.tiles.name(id),
      siteName: (id) => this.siteNames.get(id) ?? null,
      me: () => this.userId,
      canAct: () => this.capabilities === null || this.capabilities.has("noc:ack_alerts"),
    });
    this.capabilities = null; // from `connected`; until then the server decides (403)
    this.siteNames = new Map(); // site id -> name, from GET /api/noc/sites
    this.listeners = new Set(); // (msg) => void: every pushed event applied (trends.js)
    this.filters = new FilterBar($("filter-bar"), (state) => this.board.setFilter(this.matcher(state)));
    this.board.filter = this.matcher(this.filters.state);
    this.bulk = new BulkBar($("bulk-bar"), {
      board: this.board,
      api: this.api,
      askResolve: (alerts, then) => this.askResolve(alerts, then),
      clientName: (id) => this.tiles.name(id),
      canCreateIncident: () => this.capabilities === null || this.capabilities.has("noc:assign_incidents"),
      onIncident: (incident) => this.incidents.upsert(incident),
      canEscalate: () => this.capabilities === null || this.capabilities.has("noc:escalate"),
      me: () => this.userId,
    });
    this.maintenance = new MaintenancePanel($("maintenance"), {
      api: this.api,
      clientName: (id) => this.tiles.name(id),
      siteName: (id) => this.siteNames.get(id) ?? null,
      choices: () => ({ clients: this.filters.clients, sites: this.filters.sites, types: this.filters.types }),
      canManage: () => this.capabilities !== null && this.capabilities.has("noc:manage_maintenance"),
    });
    this.alarm = new Alarm($("alarm-toggle"));
    this.unbindKeys = null;
    this.onPopState = () => this.filters.fromLocation();
    this.banner = new BackpressureBanner($("backpressure-banner"));
    this.indicator = new ConnectionIndicator($("connection-status"));
    this.socket = new LiveSocket({
      token,
      onMessage: (m) => this.receive(m),
      onState: (state, detail) => this.indicator.set(state, detail),
      onUnauthorized: () => this.end("Your token was refused; sign in again."),
    });
  }

  /** Check the token (throws ApiError: 401 refused, 403 no noc:view). */
  async verify() {
    this.applyOverview(await this.api.overview());
  }

  /** The board's filter predicate of a filter state. */
  matcher(state) {
    return matcher(state, {
      me: () => this.userId,
      clientName: (id) => this.tiles.name(id),
      siteName: (id) => this.siteNames.get(id) ?? null,
    });
  }

  start() {
    $("shelved-toggle").onclick = () => this.showShelved(!this.board.showShelved);
    window.addEventListener("popstate", this.onPopState);
    this.unbindKeys = bindShortcuts({
      move: (step) => this.board.moveCursor(step),
      acknowledge: () => {
        const a = this.board.atCursor();
        if (a && ACKABLE.has(a.status) && this.canAct()) this.acknowledge(a);
      },
      resolve: () => {
        const a = this.board.atCursor();
        if (a && this.canAct()) this.askResolve(a);
      },
      pick: () => {
        const a = this.board.atCursor();
        if (a && this.canAct()) this.board.pick(a.id, !this.board.chosen.has(a.id));
      },
      details: () => {
        const a = this.board.atCursor();
        if (a) this.board.dispatchEvent(new CustomEvent("details", { detail: a }));
      },
      search: () => this.filters.search.focus(),
      active: () => ($("dashboard").dataset.view ?? "board") === "board",
    });
    this.socket.start();
    this.timers.push(setTimeout(() => this.loaded || this.reload(), FIRST_LOAD_WAIT_MS));
    this.timers.push(setInterval(() => this.shouldPoll() && this.reload(), POLL_MS));
    this.timers.push(setInterval(() => this.board.tick(), TICK_MS));
    this.timers.push(setInterval(() => this.incidents.render(), 60_000));
  }

  shouldPoll() {
    return this.socket.state !== "connected" && navigator.onLine;
  }

  canAct() {
    return this.capabilities === null || this.capabilities.has("noc:ack_alerts");
  }

  stop() {
    this.socket.stop();
    window.removeEventListener("popstate", this.onPopState);
    this.unbindKeys?.();
    this.unbindKeys = null;
    this.maintenance.stop();
    this.timers.forEach((t) => clearInterval(t));
    clearTimeout(this.overviewTimer);
    this.board.reset([]);
    this.incidents.reset([]);
    this.tiles.render([]);
    this.banner.set("NORMAL");
    delete $("dashboard").dataset.loaded;
  }

  end(reason) {
    this.stop();
    this.onEnd(reason);
  }

  async reload() {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = true;
    this.pending = [];
    const started = performance.now();
    const firstLoad = !this.loaded;
    try {
      const [overview, alerts, incidents, sites, types] = await Promise.all([
        this.api.overview(),
        this.api.openAlerts(BOARD_MAX, this.board.showShelved ? "only" : "exclude", (page) => {
          if (!firstLoad) return; // a reload keeps the board until all is in
          this.board.reset(page); // a first look while the rest loads
          perf.firstPage = performance.now() - started;
        }),
        this.api.incidents(),
        this.api.sites(),
        this.api.alertTypes().catch(() => ({ items: [] })), // the filter's list only
      ]);
      this.siteNames = new Map(sites.map((s) => [s.id, s.name]));
      this.applyOverview(overview);
      this.filters.options({
        clients: (overview.clients ?? []).map((c) => ({ id: c.client_id, name: c.name })),
        sites,
        types: types.items.map((t) => t.alert_type),
      });
      const drawing = performance.now();
      this.board.reset(alerts);
      perf.render = performance.now() - drawing;
      perf.load = performance.now() - started;
      this.incidents.reset(incidents.items);
      this.maintenance.load(); // beside the board: its failure does not fail the load
      this.loaded = true;
      $("dashboard").dataset.loaded = "true";
    } catch (err) {
      if (err.status !== 401) toast(`Could not load the dashboard: ${err.describe()}`, "error");
    } finally {
      const held = this.pending;
      this.pending = null;
      this.reloading = false;
      held.forEach((m) => this.apply(m));
      if (this.reloadAgain) {
        this.reloadAgain = false;
        this.reload();
      }
    }
  }

  applyOverview(o) {
    this.tiles.render(o.clients ?? []);
    this.banner.set(o.backpressure);
    $("overview-time").textContent = `updated ${clock(o.generated_at)}`;
  }

  /** Reload the overview soon (tile counts), at most once per OVERVIEW_EVERY_MS. */
  refreshOverviewSoon() {
    if (this.overviewTimer) return;
    this.overviewTimer = setTimeout(async () => {
      this.overviewTimer = null;
      try {
        this.applyOverview(await this.api.overview());
      } catch (err) {
        if (err.status !== 401) console.warn("overview refresh failed:", err.message);
      }
    }, OVERVIEW_EVERY_MS);
  }

  receive(msg) {
    switch (msg.type) {
      case "connected":
        this.userId = msg.user_id;
        if (Array.isArray(msg.capabilities)) {
          this.capabilities = new Set(msg.capabilities);
          this.board.rerender();
          this.incidents.render();
          this.maintenance.render();
        }
        showUser(msg);
        if (!msg.resumed) this.reload(); // a fresh stream: load what it starts from
        return;
      case "access_changed": // an admin changed this user's rights: reload with them
        if (Array.isArray(msg.capabilities)) this.capabilities = new Set(msg.capabilities);
        toast("Your access was changed by an administrator", "info");
        this.reload();
        return;
      case "resync":
        this.reload();
        return;
      case "error":
        toast(`${msg.message}${msg.correlation_id ? ` (ref ${msg.correlation_id})` : ""}`, "error");
        return;
      default:
        if (this.pending) this.pending.push(msg);
        else this.apply(msg);
    }
  }

  apply(msg) {
    for (const listener of this.listeners) listener(msg);
    switch (msg.type) {
      case "alert_new":
      case "alert_updated":
        if (msg.alert) {
          const t = performance.now();
          this.board.upsert(msg.alert);
          keep(perf.live, performance.now() - t);
          requestAnimationFrame(() => setTimeout(() => keep(perf.livePainted, performance.now() - t)));
        }
        if (msg.type === "alert_new") this.alarm.pushed(msg.alert);
        this.refreshOverviewSoon();
        break;
      case "incident_new":
      case "incident_updated":
        if (msg.incident) this.incidents.upsert(msg.incident);
        break;
      case "metrics_update":
        for (const item of msg.items ?? [msg]) {
          this.tiles.updateMetrics(item.client_id, item.metrics, item.window_end);
        }
        this.refreshOverviewSoon();
        break;
      case "backpressure":
        this.banner.set(msg.level);
        break;
      default:
        break;
    }
  }

  async acknowledge(alert) {
    this.board.setBusy(alert.id, true);
    try {
      const updated = await this.api.acknowledge(alert.id);
      this.board.setBusy(alert.id, false);
      this.board.upsert(updated);
      toast(`Acknowledged: ${humanize(alert.alert_type)}`, "ok");
    } catch (err) {
      this.board.setBusy(alert.id, false);
      toast(`Could not acknowledge: ${err.describe()}`, "error");
      if (err.status === 409) this.refreshAlert(alert.id);
    }
  }

  /** Show the shelved alerts (true) or the board (false); a fresh load. */
  showShelved(on) {
    this.board.showShelved = on;
    const toggle = $("shelved-toggle");
    toggle.setAttribute("aria-pressed", String(on));
    document.getElementById("board-title").firstChild.textContent = on ? "Shelved alerts " : "Open alerts ";
    this.reload();
  }

  async shelve(alert, on) {
    this.board.setBusy(alert.id, true);
    try {
      const updated = on ? await this.api.shelve(alert.id, 60) : await this.api.unshelve(alert.id);
      this.board.setBusy(alert.id, false);
      this.board.upsert(updated);
      toast(`${on ? "Shelved for an hour" : "Back on the board"}: ${humanize(alert.alert_type)}`, "ok");
    } catch (err) {
      this.board.setBusy(alert.id, false);
      toast(`Could not ${on ? "shelve" : "unshelve"}: ${err.describe()}`, "error");
      if (err.status === 409) this.refreshAlert(alert.id);
    }
  }

  /** Ask for resolution notes, then resolve the alert — or, given a list
   * and `then`, call `then(notes)` (a bulk resolve). */
  askResolve(alert, then) {
    if (Array.isArray(alert)) {
      const n = alert.length;
      this.askNotes(`Resolve ${n} alerts`, `${n} selected alert${n === 1 ? "" : "s"}, with the same notes`, then);
    } else {
      this.askNotes("Resolve alert", `${humanize(alert.alert_type)}: ${alert.message}`, (notes) => this.resolve(alert, notes));
    }
  }

  async resolve(alert, notes) {
    this.board.setBusy(alert.id, true);
    try {
      const updated = await this.api.resolve(alert.id, notes);
      this.board.setBusy(alert.id, false);
      this.board.upsert(updated);
      toast(`Resolved: ${humanize(alert.alert_type)}`, "ok");
    } catch (err) {
      this.board.setBusy(alert.id, false);
      toast(`Could not resolve: ${err.describe()}`, "error");
      if (err.status === 409) this.refreshAlert(alert.id);
    }
  }

  /** An incident transition from the incidents panel ("assign": to me;
   * "resolve": asks for notes first, and resolves its open alerts too). */
  async incidentAction(incident, action) {
    if (action === "resolve") {
      this.askNotes(`Resolve incident`, incident.title, (notes) => this.incidentAction({ ...incident, notes }, "resolve!"));
      return;
    }
    const verb = action === "resolve!" ? "resolve" : action;
    this.incidents.setBusy(incident.id, true);
    try {
      const updated =
        verb === "assign"
          ? await this.api.incidentAction(incident.id, "assign", { assignee: this.userId })
          : await this.api.incidentAction(incident.id, verb, verb === "resolve" && incident.notes ? { notes: incident.notes } : undefined);
      delete updated.cascade;
      this.incidents.upsert(updated);
      toast(`Incident ${humanize(updated.state).toLowerCase()}: ${updated.title}`, "ok");
    } catch (err) {
      toast(`Could not ${verb} the incident: ${err.describe()}`, "error");
    } finally {
      this.incidents.setBusy(incident.id, false);
    }
  }

  /** The resolve dialog, for anything: `then(notes)` when confirmed. */
  askNotes(title, summary, then) {
    const dialog = $("resolve-dialog");
    const notes = $("resolve-notes");
    $("resolve-title").textContent = title;
    $("resolve-summary").textContent = summary;
    notes.value = "";
    dialog.returnValue = "";
    dialog.onclose = () => {
      if (dialog.returnValue === "resolve") then(notes.value.trim());
    };
    dialog.showModal();
    notes.focus();
  }

  async refreshAlert(id) {
    try {
      this.board.upsert(await this.api.alert(id));
    } catch {
      /* gone or out of scope: the next reload settles it */
    }
  }
}

function showUser(connected) {
  const who = $("user-info");
  who.textContent = `user ${shortId(connected.user_id)} · PII ${connected.pii ? "visible" : "masked"}`;
  who.title = `user ${connected.user_id}, tenant ${connected.tenant_id}, replica ${connected.replica ?? "?"}`;
  who.hidden = false;
}
