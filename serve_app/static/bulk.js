// Bulk actions on the alerts picked on the board (a card's checkbox;
// shift-click picks a range): acknowledge, assign (to a user of the tenant,
// searched by the API), escalate or resolve them all in one request
// (POST /api/noc/alerts/bulk, up to 100 at a time), or open an incident
// from them (one client's alerts). One picked alert is the way to act on one. Each alert's own outcome is applied; the
// ones refused are named in a toast and stay picked.

import { h, humanize, toast } from "./dom.js";

const BULK_MAX = 100; // the API's limit per request

export class BulkBar {
  /**
   * @param {HTMLElement} root
   * @param {object} deps
   * @param {import("./board.js").AlertBoard} deps.board
   * @param {import("./api.js").Api} deps.api
   * @param {(alerts: object[]) => void} deps.askResolve asks for notes, then calls resolve(notes)
   * @param {(clientId: string) => string} deps.clientName
   * @param {() => boolean} deps.canCreateIncident
   * @param {() => boolean} deps.canEscalate
   * @param {() => string|null} deps.me the signed-in user id
   */
  constructor(root, deps) {
    this.root = root;
    this.deps = deps;
    this.busy = false;
    this.count = h("span", { class: "bulk-count", "data-testid": "bulk-count" });
    this.ack = button("bulk-acknowledge", "Acknowledge", () => this.run("acknowledge"));
    this.resolveButton = button("bulk-resolve", "Resolve…", () => deps.askResolve(this.picked(), (notes) => this.run("resolve", notes)));
    this.incident = button("bulk-incident", "Create incident…", () => this.askIncident());
    this.assign = button("bulk-assign", "Assign…", () => this.askAssignee());
    this.escalate = button("bulk-escalate", "Escalate", () => this.run("escalate"));
    this.clear = h("button", { type: "button", class: "btn btn-small btn-ghost", "data-testid": "bulk-clear", onclick: () => deps.board.clearPicked() }, "Clear");
    root.replaceChildren(this.count, this.ack, this.assign, this.escalate, this.resolveButton, this.incident, this.clear);
    this.searchTimer = null;
    root.hidden = true;
    deps.board.addEventListener("chosen", () => this.draw());
  }

  picked() {
    return [...this.deps.board.chosen].map((id) => this.deps.board.get(id)).filter(Boolean);
  }

  draw() {
    const n = this.picked().length;
    this.root.hidden = n === 0;
    this.count.textContent = `${n} selected`;
    for (const b of [this.ack, this.assign, this.escalate, this.resolveButton, this.incident]) b.disabled = this.busy;
    this.incident.hidden = !this.deps.canCreateIncident();
    this.assign.hidden = !this.deps.canCreateIncident(); // the same capability: noc:assign_incidents
    this.escalate.hidden = !this.deps.canEscalate();
  }

  /** One action on every picked alert, 100 per request (`extra`: notes, or
   * {assignee} for assign). */
  async run(action, extra) {
    const { board, api } = this.deps;
    const ids = this.picked().map((a) => a.id);
    if (!ids.length) return;
    this.busy = true;
    this.draw();
    let done = 0;
    const refused = [];
    try {
      for (let i = 0; i < ids.length; i += BULK_MAX) {
        const out = await api.bulk(action, ids.slice(i, i + BULK_MAX), extra);
        for (const r of out.results) {
          if (r.ok) {
            done += 1;
            if (r.alert) board.upsert(r.alert);
            board.pick(r.id, false);
          } else refused.push(r);
        }
      }
    } catch (err) {
      toast(`Could not ${action}: ${err.describe()}`, "error");
    } finally {
      this.busy = false;
      this.draw();
    }
    const verb = { acknowledge: "Acknowledged", assign: "Assigned", escalate: "Escalated" }[action] ?? "Resolved";
    if (done) toast(`${verb} ${done} alert${done === 1 ? "" : "s"}`, "ok");
    if (refused.length) {
      toast(`${refused.length} not ${verb.toLowerCase()}: ${refused[0].error ?? refused[0].status}`, "error");
    }
  }

  /** Ask whom to assign the picked alerts to: a search box over the
   * tenant's users (GET /api/noc/assignees), "me" first. */
  askAssignee() {
    const dialog = document.querySelector('[data-testid="assign-dialog"]');
    const input = dialog.querySelector('[data-testid="assign-input"]');
    const list = dialog.querySelector('[data-testid="assign-options"]');
    const n = this.picked().length;
    dialog.querySelector('[data-testid="assign-summary"]').textContent = `${n} selected alert${n === 1 ? "" : "s"}`;
    input.value = "";
    const search = async () => {
      try {
        const { items } = await this.deps.api.assignees(input.value.trim());
        const me = this.deps.me();
        list.replaceChildren(
          ...items
            .sort((a, b) => (b.id === me) - (a.id === me))
            .map((u) => h("option", { value: u.id, label: `${u.display_name}${u.id === me ? " (me)" : ""}` })),
        );
      } catch (err) {
        list.replaceChildren();
        if (err.status !== 401) console.warn("assignees:", err.message);
      }
    };
    input.oninput = () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(search, 150);
    };
    search();
    dialog.returnValue = "";
    dialog.onclose = () => {
      const who = input.value.trim();
      if (dialog.returnValue === "assign" && who) this.run("assign", { assignee: who });
    };
    dialog.showModal();
    input.focus();
  }

  askIncident() {
    const alerts = this.picked();
    const clients = new Set(alerts.map((a) => a.client_id));
    if (clients.size !== 1) {
      toast("An incident holds the alerts of one client: pick alerts of one client only.", "error");
      return;
    }
    if (alerts.length > BULK_MAX) {
      toast(`An incident is created from at most ${BULK_MAX} alerts.`, "error");
      return;
    }
    const dialog = document.querySelector('[data-testid="incident-dialog"]');
    const title = dialog.querySelector('[data-testid="incident-title"]');
    const [client] = clients;
    dialog.querySelector('[data-testid="incident-summary"]').textContent =
      `${alerts.length} alert${alerts.length === 1 ? "" : "s"} of ${this.deps.clientName(client)}`;
    title.value = alerts.length === 1 ? `${humanize(alerts[0].alert_type)}: ${alerts[0].message}`.slice(0, 500) : "";
    dialog.returnValue = "";
    dialog.onclose = () => {
      if (dialog.returnValue === "create" && title.value.trim()) this.createIncident(alerts, title.value.trim());
    };
    dialog.showModal();
    title.focus();
  }

  async createIncident(alerts, title) {
    this.busy = true;
    this.draw();
    try {
      const incident = await this.deps.api.createIncident(alerts.map((a) => a.id), title);
      toast(`Incident opened: ${incident.title}`, "ok");
      this.deps.onIncident?.(incident);
      this.deps.board.clearPicked();
    } catch (err) {
      toast(`Could not create the incident: ${err.describe()}`, "error");
    } finally {
      this.busy = false;
      this.draw();
    }
  }
}

function button(testid, label, onclick) {
  return h("button", { type: "button", class: "btn btn-small", "data-testid": testid, onclick }, label);
}
