// The live connection to /ws/noc/dashboard: authenticates with a first
// {"type": "auth"} message, tracks the highest event seq it has seen,
// heartbeats with it, and reconnects with exponential backoff plus jitter,
// resuming with ?resume_from=<seq> so nothing is missed.
//
// States: "connecting" (first attempt), "connected", "reconnecting",
// "offline" (the browser is offline, or the server refused us for good).

export const PATH = "/ws/noc/dashboard";
const HEARTBEAT_MS = 20_000; // the server closes a socket silent for 60 s
const HANDSHAKE_MS = 10_000; // no "connected" by then: try again
const STALE_MS = 2.5 * HEARTBEAT_MS; // nothing heard (not even heartbeat_ack): dead link

// Close codes of the server (serve_app/ws/protocol.py).
const CLOSE_TRY_AGAIN = 1013; // fell behind: resume at once
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;

/** Delay before reconnect attempt `attempt` (0-based): half of the capped
 * exponential step plus a random half of it ("equal jitter"). */
export function backoffDelay(attempt, { base = 500, cap = 30_000, random = Math.random } = {}) {
  const step = Math.min(cap, base * 2 ** Math.min(attempt, 16));
  return Math.round(step / 2 + (random() * step) / 2);
}

export class LiveSocket {
  /**
   * @param {object} opts
   * @param {string} opts.token
   * @param {(msg: object) => void} opts.onMessage every server message
   * @param {(state: string, detail?: string) => void} opts.onState
   * @param {(reason: string) => void} opts.onUnauthorized the token was refused
   */
  constructor({ token, onMessage, onState, onUnauthorized }) {
    this.token = token;
    this.onMessage = onMessage;
    this.onState = onState;
    this.onUnauthorized = onUnauthorized;
    this.lastSeq = null; // highest event seq processed; null until the first "connected"
    this.attempt = 0;
    this.ws = null;
    this.state = "offline";
    this.stopped = true;
    this.timers = {};
    this.lastHeard = 0;
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => {
      this.setState("offline", "browser offline");
      this.ws?.close(1000, "offline");
    };
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.open();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.clearTimers();
    this.ws?.close(1000, "signed out");
    this.ws = null;
    this.setState("offline", "signed out");
  }

  /** Send a client message; false when not connected. */
  send(message) {
    if (this.ws?.readyState !== WebSocket.OPEN || this.state !== "connected") return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    // batch=1: when events pile up, the server sends them as one "batch" frame.
    const resume = this.lastSeq === null ? "" : `&resume_from=${this.lastSeq}`;
    return `${scheme}//${location.host}${PATH}?batch=1${resume}`;
  }

  open() {
    this.clearTimers();
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.setState("offline", "browser offline");
      return;
    }
    this.setState(this.lastSeq === null && this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "auth", token: this.token }));
    ws.onmessage = (ev) => ws === this.ws && this.receive(ev.data);
    ws.onclose = (ev) => ws === this.ws && this.closed(ev);
    ws.onerror = () => {}; // onclose follows and decides
    this.timers.handshake = setTimeout(() => this.abandon("handshake timeout"), HANDSHAKE_MS);
  }

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type === "batch" && Array.isArray(msg.messages)) {
      msg.messages.forEach((m) => this.handle(m));
    } else {
      this.handle(msg);
    }
  }

  handle(msg) {
    this.lastHeard = Date.now();
    if (msg.type === "connected") {
      clearTimeout(this.timers.handshake);
      msg.resumed = this.lastSeq !== null; // resumed: the missed events follow
      if (this.lastSeq === null) this.lastSeq = msg.seq ?? 0;
      this.attempt = 0;
      this.setState("connected");
      this.timers.heartbeat = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    } else if (msg.type === "heartbeat_ack" && typeof msg.seq === "number") {
      // Everything up to the server's floor was passed on (or not ours) before this ack.
      this.lastSeq = Math.max(this.lastSeq ?? 0, msg.seq);
    }
    this.onMessage(msg);
    if (typeof msg.seq === "number" && msg.type !== "connected" && msg.type !== "heartbeat_ack") {
      this.lastSeq = Math.max(this.lastSeq ?? 0, msg.seq);
    }
  }

  heartbeat() {
    if (Date.now() - this.lastHeard > STALE_MS) {
      this.abandon("no answer");
      return;
    }
    this.send({ type: "heartbeat", last_seq: this.lastSeq ?? 0 });
  }

  closed(ev) {
    this.clearTimers();
    this.ws = null;
    if (this.stopped) return;
    if (ev.code === CLOSE_UNAUTHENTICATED) {
      this.stopped = true;
      this.setState("offline", "token refused");
      this.onUnauthorized(ev.reason || "token refused");
      return;
    }
    if (ev.code === CLOSE_FORBIDDEN) {
      this.stopped = true;
      this.setState("offline", ev.reason || "not allowed to open the live feed");
      return;
    }
    if (!navigator.onLine) {
      this.setState("offline", "browser offline");
      return;
    }
    const delay = ev.code === CLOSE_TRY_AGAIN && this.attempt === 0 ? 0 : backoffDelay(this.attempt);
    this.attempt += 1;
    this.setState("reconnecting", `retry in ${Math.ceil(delay / 1000)} s`);
    this.timers.retry = setTimeout(() => this.open(), delay);
  }

  reconnectNow() {
    if (this.stopped || this.state === "connected") return;
    this.attempt = 0;
    this.open();
  }

  /** Give up on the current link (its events are ignored from now on) and
   * reconnect as after a close; a dead TCP link may take minutes to report it. */
  abandon(reason) {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    ws.close(4000, reason);
    this.closed({ code: 4000, reason });
  }

  setState(state, detail = "") {
    this.state = state;
    this.onState(state, detail);
  }

  clearTimers() {
    clearTimeout(this.timers.handshake);
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.heartbeat);
    this.timers = {};
  }
}
