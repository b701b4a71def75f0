// Keyboard shortcuts of the board: j/k move between cards (column by
// column, top to bottom), a acknowledges, r resolves (asks for notes), x
// selects for a bulk action, o or Enter opens the details, / goes to the
// search box, ? shows the list. Keys typed into a field, with a modifier,
// while a dialog is open, or while another view than the board is shown are
// left alone.

import { h } from "./dom.js";

export const SHORTCUTS = [
  ["j", "next alert"],
  ["k", "previous alert"],
  ["a", "acknowledge the alert"],
  ["r", "resolve the alert (asks for notes)"],
  ["x", "select the alert for a bulk action"],
  ["o / Enter", "open its details"],
  ["/", "search"],
  ["Esc", "leave the search box, close this list"],
  ["?", "show this list"],
];

/**
 * @param {object} actions
 * @param {(step: number) => void} actions.move
 * @param {() => void} actions.acknowledge
 * @param {() => void} actions.resolve
 * @param {() => void} actions.pick
 * @param {() => void} actions.details
 * @param {() => void} actions.search
 * @param {() => boolean} [actions.active] are the keys for the board now? (not on another view)
 * @returns {() => void} removes the listener
 */
export function bindShortcuts(actions) {
  const help = helpDialog();
  const keys = {
    j: () => actions.move(1),
    k: () => actions.move(-1),
    a: actions.acknowledge,
    r: actions.resolve,
    x: actions.pick,
    o: actions.details,
    Enter: actions.details,
    "/": actions.search,
    "?": () => (help.open ? help.close() : help.showModal()),
  };
  const onKey = (ev) => {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (actions.active && !actions.active()) return;
    const t = ev.target;
    if (t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
    if (document.querySelector("dialog[open]") && ev.key !== "?") return;
    if (ev.key === "Enter" && t instanceof HTMLElement && t.closest("button, a")) return; // a button's own Enter
    const run = keys[ev.key];
    if (!run) return;
    ev.preventDefault();
    run();
  };
  document.addEventListener("keydown", onKey);
  return () => {
    document.removeEventListener("keydown", onKey);
    help.remove();
  };
}

function helpDialog() {
  const dialog = h(
    "dialog",
    { class: "dialog", "data-testid": "shortcuts-help", "aria-labelledby": "shortcuts-title" },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
      h(
        "dl",
        { class: "shortcuts" },
        SHORTCUTS.map(([key, what]) => h("div", { class: "kv" }, h("dt", {}, h("kbd", {}, key)), h("dd", {}, what))),
      ),
      h("div", { class: "dialog-actions" }, h("button", { value: "close", class: "btn btn-primary" }, "Close")),
    ),
  );
  document.body.append(dialog);
  return dialog;
}
