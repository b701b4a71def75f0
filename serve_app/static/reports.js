// The Reports view: MTTR, SLA compliance and noisy sites over a chosen
// period (the last 1, 7, 30 or 90 days), each as a chart with its table,
// and a CSV download of each table as shown (built in the page: a Blob
// behind a download link, which the page's CSP allows).

import { barChart } from "./charts.js";
import { h } from "./dom.js";
import { SEVERITIES } from "./board.js";

export const PERIODS = [1, 7, 30, 90];
const DEFAULT_DAYS = 30;
const FORMULA_START = /^[=+\-@\t\r]/;

/** "45 s", "12m 5s", "3h 5m", "2d 4h"; "—" for none. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return m % 60 ? `${hrs}h ${m % 60}m` : `${hrs}h`;
  const d = Math.floor(hrs / 24);
  return hrs % 24 ? `${d}d ${hrs % 24}h` : `${d}d`;
}

const DURATION_STEPS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800];

/** 0 and a few round durations (seconds) up to at least `max`. */
export function durationTicks(max, count = 3) {
  if (!(max > 0)) return [0, 60];
  const step = DURATION_STEPS.find((d) => d >= max / count) ?? Math.ceil(max / count / 604_800) * 604_800;
  const ticks = [];
  for (let v = 0; v < max + step; v += step) ticks.push(v);
  return ticks;
}

function percent(share) {
  return share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)}%`;
}

/** One CSV cell: quoted when needed; a leading formula character is defused as the server's exports do. */
export function csvCell(text) {
  let v = String(text ?? "");
  if (FORMULA_START.test(v)) v = `'${v}`;
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** A table as CSV: its header row, then every body row, cells as shown. */
export function tableCsv(table) {
  const rows = [...table.querySelectorAll("thead tr, tbody tr")];
  return rows.map((tr) => [...tr.cells].map((c) => csvCell(c.textContent.trim())).join(",")).join("\r\n") + "\r\n";
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function table(head, rows, numeric = []) {
  return h(
    "table",
    { class: "report-table", "data-testid": "report-table" },
    h("thead", {}, h("tr", {}, head.map((c, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, c)))),
    h(
      "tbody",
      {},
      rows.map((r) =>
        h(
          "tr",
          { class: r.total ? "total" : null },
          r.cells.map((c, i) => h(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null, class: numeric.includes(i) ? "num" : null }, String(c))),
        ),
      ),
    ),
  );
}

const REPORTS = [
  { key: "mttr", path: "mttr", title: "Mean time to resolve" },
  { key: "sla", path: "sla-compliance", title: "SLA compliance of incidents" },
  { key: "noisy", path: "noisy-sites", title: "Noisy sites" },
];

export class ReportsView {
  /**
   * @param {HTMLElement} root the view's (empty) section
   * @param {object} deps
   * @param {import("./api.js").Api} deps.api
   * @param {(clientId: string) => string} deps.clientName
   * @param {(siteId: string) => string|null} deps.siteName null when unknown
   */
  constructor(root, deps) {
    this.root = root;
    this.deps = deps;
    this.days = DEFAULT_DAYS;
    this.generation = 0;
    this.period = h(
      "select",
      { class: "view-select", "data-testid": "report-period", "aria-label": "Report period", onchange: () => this.choose() },
      PERIODS.map((d) => h("option", { value: String(d), selected: d === this.days }, d === 1 ? "Last 24 hours" : `Last ${d} days`)),
    );
    this.sections = {};
    for (const r of REPORTS) {
      const summary = h("span", { class: "muted small", "data-testid": "report-summary" });
      const button = h(
        "button",
        { type: "button", class: "btn btn-small", "data-testid": "report-csv", disabled: true, onclick: () => this.downloadCsv(r.key) },
        "Download CSV",
      );
      const body = h("div", { class: "report-body" }, h("p", { class: "muted small" }, "Loading…"));
      const el = h(
        "section",
        { class: "panel report", "data-testid": `report-${r.key}`, "aria-labelledby": `report-${r.key}-title` },
        h("div", { class: "panel-head" }, h("h2", { id: `report-${r.key}-title` }, r.title), summary, button),
        body,
      );
      this.sections[r.key] = { el, summary, button, body };
    }
    root.replaceChildren(
      h(
        "div",
        { class: "report-bar" },
        h("h2", {}, "Reports"),
        h("label", { class: "inline-label", for: "report-period-select" }, "Period"),
        this.period,
      ),
      h("div", { class: "report-grid" }, Object.values(this.sections).map((s) => s.el)),
    );
    this.period.id = "report-period-select";
  }

  show() {
    this.load();
  }

  hide() {
    this.generation += 1;
  }

  destroy() {
    this.hide();
    this.root.replaceChildren();
  }

  choose() {
    this.days = Number(this.period.value) || DEFAULT_DAYS;
    this.load();
  }

  async load() {
    this.generation += 1;
    const gen = this.generation;
    const days = this.days;
    delete this.root.dataset.loadedDays;
    await Promise.all(
      REPORTS.map(async (r) => {
        const s = this.sections[r.key];
        s.button.disabled = true;
        try {
          const answer = await this.deps.api.report(r.path, days);
          if (gen !== this.generation) return;
          this[r.key](s, answer);
          s.button.disabled = false;
        } catch (err) {
          if (gen !== this.generation) return;
          s.summary.textContent = "";
          s.body.replaceChildren(h("p", { class: "muted small" }, `Could not read the report: ${err.describe?.() ?? err.message}`));
        }
        s.el.dataset.days = String(days);
      }),
    );
    if (gen === this.generation) this.root.dataset.loadedDays = String(days);
  }

  mttr(s, a) {
    const rows = SEVERITIES.map((sev) => ({
      cells: [sev, a.resolved_by_severity?.[sev] ?? 0, duration(a.by_severity[sev]), a.by_severity[sev] === null ? "" : Math.round(a.by_severity[sev])],
    }));
    rows.push({ total: true, cells: ["All", a.resolved, duration(a.overall_s), a.overall_s === null ? "" : Math.round(a.overall_s)] });
    s.summary.textContent = `${duration(a.overall_s)} overall · ${a.resolved} resolved`;
    s.body.replaceChildren(
      barChart({
        title: `Mean time to resolve by severity, last ${a.window_days} days`,
        series: [{ key: "mttr", label: "Mean time to resolve", tone: "info" }],
        bars: SEVERITIES.map((sev) => ({ key: sev, label: sev, tone: sev.toLowerCase(), values: { mttr: a.by_severity[sev] } })),
        format: duration,
        ticks: durationTicks,
        tickFormat: (v) => (v === 0 ? "0" : duration(v)),
        testid: "report-chart",
      }),
      table(["Severity", "Resolved", "Mean time to resolve", "Mean (seconds)"], rows, [1, 3]),
    );
  }

  sla(s, a) {
    const name = (id) => this.deps.clientName(id);
    const row = (label, c, total = false) => ({
      total,
      cells: [label, c.resolved, c.within_sla, percent(c.compliance), c.open_past_sla],
    });
    const rows = a.by_client.map((c) => row(name(c.client_id), c));
    rows.push(row("All clients", a, true));
    s.summary.textContent = `${percent(a.compliance)} within SLA · ${a.resolved} resolved · ${a.open_past_sla} open past SLA`;
    s.body.replaceChildren(
      barChart({
        title: `Incidents by SLA outcome per client, last ${a.window_days} days`,
        series: [
          { key: "within", label: "Resolved within SLA", tone: "ok" },
          { key: "missed", label: "Resolved late", tone: "critical" },
          { key: "open", label: "Open past SLA", tone: "high" },
        ],
        bars: a.by_client.map((c) => ({
          key: c.client_id,
          label: name(c.client_id),
          values: { within: c.within_sla, missed: c.resolved - c.within_sla, open: c.open_past_sla },
        })),
        testid: "report-chart",
      }),
      table(["Client", "Resolved", "Within SLA", "Compliance", "Open past SLA"], rows, [1, 2, 3, 4]),
    );
  }

  noisy(s, a) {
    const site = (id) => this.deps.siteName(id) ?? id;
    const client = (id) => this.deps.clientName(id);
    s.summary.textContent = `top ${a.sites.length} sites by alerts + folded duplicates`;
    s.body.replaceChildren(
      barChart({
        title: `Noisiest sites, last ${a.window_days} days`,
        series: [
          { key: "alerts", label: "Alerts", tone: "low" },
          { key: "duplicates", label: "Suppressed duplicates", tone: "medium" },
        ],
        bars: a.sites.map((n) => ({
          key: n.site_id,
          label: `${site(n.site_id)} · ${client(n.client_id)}`,
          values: { alerts: n.alerts, duplicates: n.suppressed_duplicates },
        })),
        testid: "report-chart",
      }),
      table(
        ["Site", "Client", "Alerts", "Suppressed duplicates", "Noise"],
        a.sites.map((n) => ({ cells: [site(n.site_id), client(n.client_id), n.alerts, n.suppressed_duplicates, n.noise] })),
        [2, 3, 4],
      ),
    );
  }

  downloadCsv(key) {
    const t = this.sections[key].body.querySelector("table");
    if (!t) return;
    const day = new Date().toISOString().slice(0, 10);
    download(`noc-${REPORTS.find((r) => r.key === key).path}-${this.days}d-${day}.csv`, tableCsv(t));
  }
}
