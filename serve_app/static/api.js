// The REST API with a bearer token. Errors are the API's JSON
// {"error": {"status", "code", "message", "correlation_id"}} turned into ApiError.

export class ApiError extends Error {
  constructor(status, code, message, correlationId) {
    super(message);
    this.status = status;
    this.code = code;
    this.correlationId = correlationId;
  }

  /** The message with its correlation id, for a toast an operator can quote. */
  describe() {
    return this.correlationId ? `${this.message} (ref ${this.correlationId})` : this.message;
  }
}

export class Api {
  /** @param {string} token  @param {() => void} onUnauthorized called on any 401 */
  constructor(token, onUnauthorized = () => {}) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiError(0, "network", `network error: ${err.message}`, null);
    }
    const data = await response.json().catch(() => null);
    if (response.ok) return data;
    const e = (data && data.error) || {};
    const error = new ApiError(
      response.status,
      e.code || "http_error",
      e.message || `${method} ${path} answered ${response.status}`,
      e.correlation_id || response.headers.get("x-correlation-id"),
    );
    if (response.status === 401) this.onUnauthorized(error);
    throw error;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }

  overview() {
    return this.get("/api/noc/overview");
  }

  /** The sites the caller may see: [{id, name, client_id}]. */
  sites() {
    return this.get("/api/noc/sites");
  }

  /** Every open alert the caller may see (newest first), up to `max`; those
   * on a shelf now excluded, or (`shelved` "only") only those. Pages of 500;
   * `onFirstPage(items)` is called with the first one while the rest load. */
  async openAlerts(max = 10_000, shelved = "exclude", onFirstPage = null) {
    const q = ["NEW", "ACKNOWLEDGED", "ESCALATED", "ASSIGNED"].map((s) => `status=${s}`);
    q.push(`shelved=${shelved}`);
    const items = [];
    let cursor = null;
    do {
      const page = await this.get(
        `/api/noc/alerts?${q.join("&")}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      items.push(...page.items);
      cursor = page.next_cursor;
      if (cursor && onFirstPage && items.length === page.items.length) onFirstPage(items.slice());
    } while (cursor && items.length < max);
    return items;
  }

  incidents() {
    const states = ["NEW", "ACKNOWLEDGED", "ASSIGNED", "IN_PROGRESS", "RESOLVED"];
    return this.get(`/api/noc/incidents?${states.map((s) => `state=${s}`).join("&")}&limit=50`);
  }

  alert(id) {
    return this.get(`/api/noc/alerts/${encodeURIComponent(id)}`);
  }

  acknowledge(id) {
    return this.post(`/api/noc/alerts/${encodeURIComponent(id)}/acknowledge`);
  }

  shelve(id, minutes) {
    return this.post(`/api/noc/alerts/${encodeURIComponent(id)}/shelve`, { minutes });
  }

  unshelve(id) {
    return this.post(`/api/noc/alerts/${encodeURIComponent(id)}/unshelve`);
  }

  /** One action on up to 100 alerts: {results: [{id, ok, status, alert?, error?}], ...}.
   * `extra`: resolution notes (a string) or fields such as {assignee}. */
  bulk(action, ids, extra) {
    const more = typeof extra === "string" ? (extra ? { notes: extra } : {}) : (extra ?? {});
    return this.post("/api/noc/alerts/bulk", { action, alert_ids: ids, ...more });
  }

  /** Users to assign to, by name; `q` searches ids (and names, for a user who sees PII). */
  assignees(q = "") {
    return this.get(`/api/noc/assignees?limit=50${q ? `&q=${encodeURIComponent(q)}` : ""}`);
  }

  /** Open an incident from alerts of one client. */
  createIncident(alertIds, title) {
    return this.post("/api/noc/incidents", { alert_ids: alertIds, title });
  }

  /** An incident transition: acknowledge | assign (body: assignee) | start | resolve (body: notes) | close. */
  incidentAction(id, action, body) {
    return this.post(`/api/noc/incidents/${encodeURIComponent(id)}/${action}`, body);
  }

  /** Maintenance windows; `current`: active and upcoming only. */
  maintenance(current = true) {
    return this.get(`/api/noc/maintenance${current ? "?current=true" : ""}`);
  }

  createWindow(body) {
    return this.post("/api/noc/maintenance", body);
  }

  replaceWindow(id, body) {
    return this.request("PUT", `/api/noc/maintenance/${encodeURIComponent(id)}`, body);
  }

  deleteWindow(id) {
    return this.request("DELETE", `/api/noc/maintenance/${encodeURIComponent(id)}`);
  }

  /** The alert types the caller may see: {items: [{alert_type, open, ...}]}. */
  alertTypes() {
    return this.get("/api/noc/alert-types");
  }

  resolve(id, notes) {
    return this.post(`/api/noc/alerts/${encodeURIComponent(id)}/resolve`, notes ? { notes } : {});
  }

  /** One alert's timeline: {alert_id, entries: [{at, kind, by, by_name, detail}], truncated}, oldest first. */
  timeline(id) {
    return this.get(`/api/noc/alerts/${encodeURIComponent(id)}/timeline`);
  }

  // --- trends and reports (trends.js, reports.js) ---

  /** Alerts new and resolved per bucket: {generated_at, hours, bucket_minutes, new, resolved, buckets: [{start, new, resolved}]}. */
  alertRate(hours = 24, bucketMinutes = 5) {
    return this.get(`/api/noc/reports/alert-rate?hours=${hours}&bucket_minutes=${bucketMinutes}`);
  }

  /** A client's metric snapshots from `since` (ISO), oldest first, the newest `limit`: {client_id, name, items}. */
  snapshots(clientId, since, limit = 288) {
    const q = `since=${encodeURIComponent(since)}&limit=${limit}`;
    return this.get(`/api/noc/clients/${encodeURIComponent(clientId)}/snapshots?${q}`);
  }

  /** A report ("mttr", "sla-compliance", "noisy-sites") over the last `days` days. */
  report(name, days) {
    return this.get(`/api/noc/reports/${name}?days=${days}`);
  }
}
