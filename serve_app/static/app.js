// The dashboard page: sign-in with a token (kept in sessionStorage for this
// tab), sign-out, the start of a Session (see session.js), and the alert
// detail drawer beside its board (see drawer.js).

import { AlertDrawer } from "./drawer.js";
import { $, Session } from "./session.js";
import { attachViews } from "./views.js";

const TOKEN_KEY = "noc.token";

let session = null;
let drawer = null;
let views = null; // the Board / Trends / Reports tabs (views.js)

function showSignedIn(signedIn) {
  $("sign-in").hidden = signedIn;
  $("dashboard").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("alarm-toggle").hidden = !signedIn;
  if (!signedIn) $("user-info").hidden = true;
}

function signInError(message) {
  const el = $("sign-in-error");
  el.textContent = message ?? "";
  el.hidden = !message;
}

/** The detail drawer of a session's board: opened by a card's Details button, fed by its snapshots. */
function attachDrawer(s) {
  const board = s.board;
  const { clientName, siteName, me } = board.hooks;
  const d = new AlertDrawer(document.body, {
    api: s.api,
    clientName,
    siteName,
    me,
    onToggle: (id) => board.select(id),
    below: document.querySelector(".topbar"),
  });
  board.addEventListener("details", (ev) => d.open(ev.detail, () => board.detailsButton(ev.detail.id)));
  board.addEventListener("alert", (ev) => d.update(ev.detail));
  board.addEventListener("reset", () => d.refresh());
  return d;
}

function signedOut(reason) {
  drawer?.destroy();
  drawer = null;
  views?.destroy();
  views = null;
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showSignedIn(false);
  signInError(reason);
  $("token-input").focus();
}

async function signIn(token) {
  const button = $("sign-in-button");
  button.disabled = true;
  signInError(null);
  const candidate = new Session(token, signedOut);
  try {
    await candidate.verify();
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    signInError(
      err.status === 401
        ? "This token was not accepted."
        : err.status === 403
          ? "This token may not open the NOC (it lacks noc:view)."
          : `Sign-in failed: ${err.describe()}`,
    );
    return;
  } finally {
    button.disabled = false;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  session = candidate;
  drawer = attachDrawer(session);
  views = attachViews(session);
  $("token-input").value = "";
  showSignedIn(true);
  session.start();
}

function boot() {
  // `noc demo` may print a link with #token=...: take it, then drop it from the address bar.
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    history.replaceState(null, "", location.pathname + location.search);
  }
  $("sign-in-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = $("token-input").value.trim();
    if (token) signIn(token);
    else signInError("Paste a token first.");
  });
  $("sign-out").addEventListener("click", () => {
    session?.stop();
    signedOut(null);
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
  else showSignedIn(false);
}

boot();
