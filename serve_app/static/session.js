// One signed-in session of the dashboard: the REST loads, the live socket,
// and the routing of its events to the board and the panels.
//
// Consistency: the socket connects first; a fresh connection (no resume)
// triggers a full REST reload, and the events that arrive while a reload runs
// are held and applied after it (the board ignores snapshots older than what
// it has). A reconnect resumes from the last seq; a "resync" reloads by REST.
// While the socket is down the page polls REST so it never goes stale.

import { Api } from "./api.js";
import { AlertBoard } from "./board.js";
import { clock, humanize, shortId, toast } from "./dom.js";
import { BackpressureBanner, ClientTiles, ConnectionIndicator, IncidentList } from "./panels.js";
import { LiveSocket } from "./socket.js";

const FIRST_LOAD_WAIT_MS = 1500; // give the socket this long before the first REST load
const POLL_MS = 15_000; // REST refresh while the socket is down
const OVERVIEW_EVERY_MS = 2000; // at most one overview reload per this, on pushes
const TICK_MS = 5000;

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
    this.incidents = new IncidentList($("incidents"), (id) => this.tiles.name(id));
    this.board = new AlertBoard($("alert-board"), {
      onAcknowledge: (a) => this.acknowledge(a),
      onResolve: (a) => this.askResolve(a),
      clientName: (id) => this.tiles.name(id),
      siteName: (id) => this.siteNames.get(id) ?? null,
      me: () => this.userId,
      canAct: () => this.capabilities === null || this.capabilities.has("noc:ack_alerts"),
    });
    this.capabilities = null; // from `connected`; until then the server decides (403)
    this.siteNames = new Map(); // site id -> name, from GET /api/noc/sites
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

  start() {
    this.socket.start();
    this.timers.push(setTimeout(() => this.loaded || this.reload(), FIRST_LOAD_WAIT_MS));
    this.timers.push(setInterval(() => this.shouldPoll() && this.reload(), POLL_MS));
    this.timers.push(setInterval(() => this.board.tick(), TICK_MS));
    this.timers.push(setInterval(() => this.incidents.render(), 60_000));
  }

  shouldPoll() {
    return this.socket.state !== "connected" && navigator.onLine;
  }

  stop() {
    this.socket.stop();
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
    try {
      const [overview, alerts, incidents, sites] = await Promise.all([
        this.api.overview(),
        this.api.openAlerts(),
        this.api.incidents(),
        this.api.sites(),
      ]);
      this.siteNames = new Map(sites.map((s) => [s.id, s.name]));
      this.applyOverview(overview);
      this.board.reset(alerts);
      this.incidents.reset(incidents.items);
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
    switch (msg.type) {
      case "alert_new":
      case "alert_updated":
        if (msg.alert) this.board.upsert(msg.alert);
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

  askResolve(alert) {
    const dialog = $("resolve-dialog");
    const notes = $("resolve-notes");
    $("resolve-summary").textContent = `${humanize(alert.alert_type)}: ${alert.message}`;
    notes.value = "";
    dialog.returnValue = "";
    dialog.onclose = () => {
      if (dialog.returnValue === "resolve") this.resolve(alert, notes.value.trim());
    };
    dialog.showModal();
    notes.focus();
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
