// An alert's timeline in the detail drawer (drawer.js): the entries of
// GET /api/noc/alerts/{id}/timeline, oldest first, as an ordered list — who
// did what and when, escalation levels and targets, notes, the incident it
// belongs to, the alerts correlated with it. Values are shown as the API
// gives them (masked already for a user without noc:view_pii).

import { clockSeconds, dateTime, h, humanize, shortId } from "./dom.js";

/** The fields of an alert whose change adds to its timeline. */
const TIMELINE_FIELDS = [
  "status", "acknowledged_at", "assigned_at", "assigned_to", "escalation_level", "escalated_at",
  "resolved_at", "shelved_until", "suppression_reason", "suppressed_count", "flapping", "flap_count",
];

/** A snapshot's timeline fields as one string: the timeline is read again when it changes. */
export function timelineKey(alert) {
  return JSON.stringify(TIMELINE_FIELDS.map((k) => alert?.[k] ?? null));
}

/**
 * The timeline as one element: an ordered list of entries, after a note when older ones were left out.
 * @param {{entries?: object[], truncated?: boolean}} data the API's answer
 * @param {string|null} me the signed-in user id
 */
export function timelineView(data, me) {
  const entries = data.entries ?? [];
  let previous = null;
  const rows = entries.map((e) => {
    const row = entryRow(e, previous, me);
    previous = e.at;
    return row;
  });
  return h(
    "div",
    {},
    data.truncated
      ? h("p", { class: "muted small", "data-testid": "timeline-truncated" }, "Older entries are left out.")
      : null,
    h("ol", { class: "timeline", "data-testid": "timeline-list" }, rows),
  );
}

/** A day's first entry gets its date, the others their time to the second. */
function when(iso, previous) {
  const day = (t) => new Date(Date.parse(t)).toDateString();
  return previous && day(previous) === day(iso) ? clockSeconds(iso) : dateTime(iso);
}

/** Who, as the API gives it: a user's name (masked or not), else a short id; `system` is the NOC. */
function person(id, name, me) {
  if (!id) return null;
  if (id === "system") return "the NOC";
  if (name) return id === me ? `${name} (you)` : name;
  return id === me ? "you" : shortId(id);
}

function target(d, me) {
  if (!d.target) return null;
  if (d.target_name) return person(d.target, d.target_name, me);
  return /^[a-z_]+$/.test(d.target) ? humanize(d.target) : shortId(d.target);
}

const CAUSES = {
  maintenance: (d) => `maintenance window${d.window_reason ? ` “${d.window_reason}”` : ""}`,
  backpressure: () => "backpressure (alert storm)",
  inhibition: (d) => `inhibited by alert ${shortId(d.inhibited_by)}`,
};

function span(testid, text, title) {
  return h("span", { class: `tl-${testid}`, "data-testid": `timeline-${testid}`, title }, text);
}

/** The words of an entry (text and elements). */
function what(e, me) {
  const d = e.detail ?? {};
  switch (e.kind) {
    case "created":
      return [`Created · ${d.severity ?? ""}`, d.source ? ` · from ${d.source}` : null];
    case "suppressed": {
      const cause = CAUSES[d.cause]?.(d) ?? d.reason ?? "";
      return ["Suppressed: ", span("reason", cause, d.reason)];
    }
    case "correlated": {
      const n = (d.alerts ?? []).length;
      return `Correlated with ${n}${d.more ? "+" : ""} ${n === 1 && !d.more ? "alert" : "alerts"}`;
    }
    case "acknowledged":
      return "Acknowledged";
    case "assigned":
      return ["Assigned to ", span("assignee", person(d.assignee, d.assignee_name, me) ?? "—", d.assignee)];
    case "escalated": {
      const to = target(d, me);
      return ["Escalated to ", span("level", `level ${d.level ?? "?"}`), to ? " → " : null, to ? span("target", to, d.target) : null];
    }
    case "resolved":
      return "Resolved";
    case "shelved":
      return d.until ? `Shelved until ${dateTime(d.until)}` : "Shelved";
    case "unshelved":
      return e.by === "system" ? "Back from the shelf" : "Taken off the shelf";
    case "flapping":
      return `Flapping: opened ${d.count} times${d.state ? ` (${d.state} now)` : ""}`;
    case "flap_settled":
      return `Flapping settled after ${d.count} opens`;
    case "incident_created":
      return ["Incident created from it: ", incidentLink(d)];
    case "incident_linked":
      return ["Linked to incident: ", incidentLink(d)];
    case "repeated":
      return `Repeated ${d.count}×, last seen ${dateTime(d.last_seen)}`;
    default:
      return humanize(e.kind);
  }
}

/** A link to the incident: shows it on the incidents panel when it is there. */
function incidentLink(d) {
  const label = d.title ?? `incident ${shortId(d.incident_id)}`;
  return h("a", {
    href: `#incident-${encodeURIComponent(d.incident_id)}`,
    class: "tl-incident",
    "data-testid": "timeline-incident",
    dataset: { incidentId: d.incident_id },
    title: d.rule ? `Opened by ${d.rule}` : undefined,
    onclick: (ev) => {
      ev.preventDefault();
      const item = document.querySelector(`[data-testid="incident"][data-incident-id="${CSS.escape(d.incident_id)}"]`);
      item?.scrollIntoView({ block: "nearest" });
    },
  }, label);
}

function correlatedList(alerts) {
  return h(
    "ul",
    { class: "tl-kin", "data-testid": "timeline-correlated" },
    alerts.map((a) =>
      h("li", { title: a.id }, `${humanize(a.alert_type)} · ${a.severity} · ${a.status} · ${shortId(a.id)}`),
    ),
  );
}

function entryRow(e, previous, me) {
  const d = e.detail ?? {};
  const by = person(e.by, e.by_name, me);
  return h(
    "li",
    { class: `tl-entry tl-kind-${e.kind}`, "data-testid": "timeline-entry", dataset: { kind: e.kind } },
    h("time", { class: "tl-at", datetime: e.at, title: dateTime(e.at), "data-testid": "timeline-at" }, when(e.at, previous)),
    h(
      "div",
      { class: "tl-body" },
      h("span", { class: "tl-what", "data-testid": "timeline-what" }, what(e, me)),
      by ? h("span", { class: "tl-by muted", "data-testid": "timeline-by", title: e.by }, ` by ${by}`) : null,
      d.notes ? h("p", { class: "tl-notes", "data-testid": "timeline-notes" }, d.notes) : null,
      e.kind === "correlated" && d.alerts?.length ? correlatedList(d.alerts) : null,
    ),
  );
}
