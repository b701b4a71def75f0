// The maintenance panel: the active and upcoming windows the user may see,
// a form to create one (client, site, alert types, start and end as wall
// times in a chosen time zone), and "End now" for an active window (its end
// moved to now) or "Cancel" for one not started yet (deleted). Alerts
// matching an active window are stored SUPPRESSED by their client's
// aggregator from the next ingest on.

import { h, humanize, toast } from "./dom.js";

const REFRESH_MS = 60_000; // "active" changes with the clock

/** The UTC instant of wall time "YYYY-MM-DDTHH:MM" in IANA zone `zone`. */
export function zonedToUtc(wall, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(wall);
  if (!m) return null;
  const asUtc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  // The zone's offset at that instant, then once more at the corrected one
  // (a wall time next to a DST change).
  let t = asUtc - offsetMs(asUtc, zone);
  t = asUtc - offsetMs(t, zone);
  return new Date(t);
}

/** How far `zone`'s wall clock is ahead of UTC at instant `t` (ms). */
function offsetMs(t, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return wall - Math.floor(t / 1000) * 1000;
}

/** "YYYY-MM-DDTHH:MM" of instant `t` as a wall time in `zone`. */
export function wallTime(t, zone) {
  const local = new Date(t + offsetMs(t, zone));
  return local.toISOString().slice(0, 16);
}

function zones() {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
}

function when(iso, zone) {
  return new Date(iso).toLocaleString([], { timeZone: zone, dateStyle: "short", timeStyle: "short" });
}

export class MaintenancePanel {
  /**
   * @param {HTMLElement} root the panel's list
   * @param {object} deps
   * @param {import("./api.js").Api} deps.api
   * @param {(clientId: string) => string} deps.clientName
   * @param {(siteId: string) => string|null} deps.siteName
   * @param {() => {clients: {id: string, name: string}[], sites: {id: string, name: string, client_id: string}[], types: string[]}} deps.choices
   * @param {() => boolean} deps.canManage
   */
  constructor(root, deps) {
    this.root = root;
    this.deps = deps;
    this.items = [];
    this.zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    this.timer = null;
    this.newButton = document.querySelector('[data-testid="maintenance-new"]');
    this.newButton.onclick = () => this.askNew();
  }

  async load() {
    try {
      this.items = (await this.deps.api.maintenance(true)).items;
    } catch (err) {
      if (err.status !== 401) console.warn("maintenance windows:", err.message);
      return;
    }
    this.render();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), REFRESH_MS);
  }

  stop() {
    clearTimeout(this.timer);
    this.items = [];
    this.root.replaceChildren();
  }

  render() {
    const manage = this.deps.canManage();
    this.newButton.hidden = !manage;
    const now = Date.now();
    this.root.replaceChildren(
      ...this.items.map((w) => {
        const active = Date.parse(w.starts_at) <= now && now < Date.parse(w.ends_at);
        const where = [
          w.client_id ? this.deps.clientName(w.client_id) : "All clients",
          w.site_id ? this.deps.siteName(w.site_id) ?? w.site_id : null,
        ].filter(Boolean);
        return h(
          "li",
          { class: `window${active ? " is-active" : ""}`, "data-testid": "maintenance-window", dataset: { windowId: w.id, active: String(active) } },
          h(
            "div",
            { class: "incident-head" },
            h("span", { class: `badge${active ? " badge-active" : ""}` }, active ? "active" : "upcoming"),
            h("span", { class: "window-where" }, where.join(" · ")),
          ),
          h(
            "div",
            { class: "muted small", "data-testid": "maintenance-when", title: `${w.starts_at} → ${w.ends_at} (UTC)` },
            `${when(w.starts_at, this.zone)} → ${when(w.ends_at, this.zone)}`,
          ),
          h("div", { class: "muted small" }, w.alert_types?.length ? w.alert_types.map(humanize).join(", ") : "every alert type"),
          w.reason ? h("div", { class: "small" }, w.reason) : null,
          manage
            ? h(
                "div",
                { class: "incident-actions" },
                h("button", {
                  type: "button",
                  class: "btn btn-small",
                  "data-testid": active ? "maintenance-end" : "maintenance-cancel",
                  onclick: () => (active ? this.endNow(w) : this.cancel(w)),
                }, active ? "End now" : "Cancel"),
              )
            : null,
        );
      }),
    );
    if (!this.items.length) this.root.append(h("li", { class: "muted small empty-note" }, "No maintenance now or planned"));
  }

  async endNow(w) {
    const body = {
      client_id: w.client_id,
      site_id: w.site_id,
      starts_at: w.starts_at,
      ends_at: new Date().toISOString(),
      alert_types: w.alert_types ?? [],
      reason: w.reason ?? "",
    };
    try {
      await this.deps.api.replaceWindow(w.id, body);
      toast("Maintenance ended", "ok");
    } catch (err) {
      toast(`Could not end the window: ${err.describe()}`, "error");
    }
    this.load();
  }

  async cancel(w) {
    try {
      await this.deps.api.deleteWindow(w.id);
      toast("Maintenance cancelled", "ok");
    } catch (err) {
      toast(`Could not cancel the window: ${err.describe()}`, "error");
    }
    this.load();
  }

  askNew() {
    const dialog = document.querySelector('[data-testid="maintenance-dialog"]');
    const form = dialog.querySelector("form");
    const el = (id) => dialog.querySelector(`[data-testid="${id}"]`);
    const { clients, sites, types } = this.deps.choices();
    const client = el("mw-client");
    const site = el("mw-site");
    const zone = el("mw-zone");
    client.replaceChildren(h("option", { value: "" }, "All clients"), ...clients.map((c) => h("option", { value: c.id }, c.name)));
    const fillSites = () =>
      site.replaceChildren(
        h("option", { value: "" }, "Every site"),
        ...sites.filter((s) => s.client_id === client.value).map((s) => h("option", { value: s.id }, s.name)),
      );
    client.onchange = fillSites;
    fillSites();
    el("mw-types-list").replaceChildren(...types.map((t) => h("option", { value: t })));
    zone.replaceChildren(...zones().map((z) => h("option", { value: z }, z)));
    if (![...zone.options].some((o) => o.value === this.zone)) zone.append(h("option", { value: this.zone }, this.zone));
    zone.value = this.zone;
    const now = Date.now();
    el("mw-start").value = wallTime(now, zone.value);
    el("mw-end").value = wallTime(now + 3600_000, zone.value);
    zone.onchange = () => {
      el("mw-start").value = wallTime(now, zone.value);
      el("mw-end").value = wallTime(now + 3600_000, zone.value);
    };
    el("mw-types").value = "";
    el("mw-reason").value = "";
    el("mw-error").hidden = true;
    form.onsubmit = async (ev) => {
      if (ev.submitter?.value !== "create") return; // Cancel closes the dialog
      ev.preventDefault();
      const starts = zonedToUtc(el("mw-start").value, zone.value);
      const ends = zonedToUtc(el("mw-end").value, zone.value);
      const body = {
        client_id: client.value || null,
        site_id: site.value || null,
        starts_at: starts?.toISOString(),
        ends_at: ends?.toISOString(),
        alert_types: el("mw-types")
          .value.split(/[\s,]+/)
          .map((t) => t.trim().toUpperCase())
          .filter(Boolean),
        reason: el("mw-reason").value.trim(),
      };
      try {
        await this.deps.api.createWindow(body);
      } catch (err) {
        const error = el("mw-error");
        error.textContent = err.describe();
        error.hidden = false;
        return;
      }
      dialog.close("created");
      toast("Maintenance window created", "ok");
      this.load();
    };
    dialog.showModal();
    client.focus();
  }
}
