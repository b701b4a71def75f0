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

  /** Every open alert the caller may see (newest first), up to `max`. */
  async openAlerts(max = 1000) {
    const q = ["NEW", "ACKNOWLEDGED", "ESCALATED", "ASSIGNED"].map((s) => `status=${s}`);
    const items = [];
    let cursor = null;
    do {
      const page = await this.get(
        `/api/noc/alerts?${q.join("&")}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      items.push(...page.items);
      cursor = page.next_cursor;
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

  resolve(id, notes) {
    return this.post(`/api/noc/alerts/${encodeURIComponent(id)}/resolve`, notes ? { notes } : {});
  }
}
