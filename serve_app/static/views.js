// The page's views — the live board (default), Trends and Reports — one
// shown at a time, chosen by the tabs and kept in the URL (?view=trends;
// other parameters, such as the board's filters, are left as they are), so
// a reload or a shared link opens the same view.
//
// The board's panels stay in the page while another view is shown (hidden
// by CSS through the dashboard's data-view): its state and live updates go
// on untouched.

import { ReportsView } from "./reports.js";
import { TrendsView } from "./trends.js";

export const VIEWS = ["board", "trends", "reports"];

/** The view a query string asks for ("board" unless it names another). */
export function viewOf(search) {
  const v = new URLSearchParams(search).get("view");
  return VIEWS.includes(v) ? v : "board";
}

/** The query string with `view` set (the board: no parameter), the rest kept. */
export function withView(search, view) {
  const p = new URLSearchParams(search);
  if (view === "board") p.delete("view");
  else p.set("view", view);
  const text = p.toString();
  return text ? `?${text}` : "";
}

/**
 * The views of one signed-in session: the tabs, Trends and Reports, fed
 * by the session's pushes and full reloads.
 * @param {import("./session.js").Session} session
 * @returns {{destroy: () => void}}
 */
export function attachViews(session) {
  const dashboard = document.querySelector("[data-testid=dashboard]");
  const tabs = [...document.querySelectorAll("[data-testid=view-tabs] [data-view]")];
  const panels = {
    trends: document.querySelector("[data-testid=trends-view]"),
    reports: document.querySelector("[data-testid=reports-view]"),
  };
  // Snapshots are client-wide: a site-only user is refused them (and the
  // refusal audited), so none are asked for until the socket's `connected`
  // has told what the user holds.
  const mayReadSnapshots = () => {
    const caps = session.capabilities;
    if (caps === null) return null;
    return caps.has("noc:view_all_clients") || caps.has("noc:view_client");
  };
  const views = {
    trends: new TrendsView(panels.trends, {
      api: session.api,
      clients: () => [...session.tiles.tiles.values()].map((t) => ({ client_id: t.client_id, name: t.name })),
      mayReadSnapshots,
    }),
    reports: new ReportsView(panels.reports, {
      api: session.api,
      clientName: (id) => session.tiles.name(id),
      siteName: (id) => session.siteNames.get(id) ?? null,
    }),
  };
  let shown = null;

  function show(view) {
    if (view === shown) return;
    if (shown && views[shown]) views[shown].hide();
    shown = view;
    dashboard.dataset.view = view;
    for (const [name, panel] of Object.entries(panels)) panel.hidden = name !== view;
    for (const tab of tabs) {
      tab.setAttribute("href", withView(location.search, tab.dataset.view) || location.pathname);
      if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    views[view]?.show();
  }

  const onTab = (ev) => {
    const view = ev.currentTarget.dataset.view;
    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return; // a new tab: the link
    ev.preventDefault();
    if (view !== shown) history.pushState(history.state, "", location.pathname + withView(location.search, view) + location.hash);
    show(view);
  };
  const onPop = () => show(viewOf(location.search));
  const onPush = (msg) => views.trends.apply(msg);
  const onReset = () => views.trends.refresh();

  for (const tab of tabs) tab.addEventListener("click", onTab);
  window.addEventListener("popstate", onPop);
  session.listeners.add(onPush);
  session.board.addEventListener("reset", onReset);
  show(viewOf(location.search));

  return {
    destroy() {
      for (const tab of tabs) tab.removeEventListener("click", onTab);
      window.removeEventListener("popstate", onPop);
      session.listeners.delete(onPush);
      session.board.removeEventListener("reset", onReset);
      for (const v of Object.values(views)) v.destroy();
      for (const panel of Object.values(panels)) panel.hidden = true;
      delete dashboard.dataset.view;
      for (const tab of tabs) tab.removeAttribute("aria-current");
    },
  };
}
