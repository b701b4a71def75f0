// Shift-friendly alarms (opt-in, per browser): a chime and a browser
// notification for each new CRITICAL alert pushed to this user (the socket
// sends only what is in the user's scope, masked as the user reads it).
// Off until the user turns it on with the topbar button; the choice is kept
// in localStorage. The chime is synthesised with Web Audio (no sound file),
// at most one per CHIME_GAP_MS however many alerts arrive; notifications are
// tagged by alert id, so one alert never shows twice.

import { humanize } from "./dom.js";

const KEY = "noc.alarm";
const CHIME_GAP_MS = 2000;

export class Alarm {
  /** @param {HTMLButtonElement} button the topbar toggle */
  constructor(button) {
    this.button = button;
    this.on = localStorage.getItem(KEY) === "1";
    this.audio = null;
    this.lastChime = 0;
    this.chimes = 0;
    this.notified = 0;
    button.onclick = () => this.set(!this.on);
    this.draw();
  }

  async set(on) {
    this.on = on;
    localStorage.setItem(KEY, on ? "1" : "0");
    if (on) {
      this.ensureAudio(); // inside the click: browsers allow sound after a gesture
      if ("Notification" in window && Notification.permission === "default") {
        try {
          await Notification.requestPermission();
        } catch {
          /* an old browser's callback form: sound only */
        }
      }
    }
    this.draw();
  }

  draw() {
    const perm = "Notification" in window ? Notification.permission : "unsupported";
    this.button.setAttribute("aria-pressed", String(this.on));
    this.button.textContent = this.on ? "Alarm on" : "Alarm off";
    this.button.title = this.on
      ? `A chime${perm === "granted" ? " and a browser notification" : " (notifications: " + perm + ")"} for each new CRITICAL alert`
      : "Turn on a chime and a browser notification for new CRITICAL alerts";
    this.button.dataset.chimes = String(this.chimes);
    this.button.dataset.notified = String(this.notified);
  }

  /** A pushed alert_new: ring for a CRITICAL one that is open (not suppressed). */
  pushed(alert) {
    if (!this.on || !alert || alert.severity !== "CRITICAL" || alert.status === "SUPPRESSED") return;
    const now = Date.now();
    if (now - this.lastChime >= CHIME_GAP_MS) {
      this.lastChime = now;
      this.chime();
    }
    this.notify(alert);
    this.draw();
  }

  ensureAudio() {
    const Ctx = window.AudioContext ?? window.webkitAudioContext;
    if (!Ctx) return null;
    if (!this.audio) this.audio = new Ctx();
    if (this.audio.state === "suspended") this.audio.resume().catch(() => {});
    return this.audio;
  }

  /** Two short rising tones. */
  chime() {
    const ctx = this.ensureAudio();
    this.chimes += 1;
    if (!ctx) return;
    const t0 = ctx.currentTime;
    [880, 1320].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const at = t0 + i * 0.18;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.17);
    });
  }

  notify(alert) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const n = new Notification(`CRITICAL: ${humanize(alert.alert_type)}`, {
        body: alert.message,
        tag: alert.id,
        requireInteraction: false,
      });
      n.onclick = () => window.focus();
      this.notified += 1;
    } catch {
      /* some platforms allow notifications from a service worker only */
    }
  }
}
