// Tells the server what this tab shows, so that it paces the frames to it: whether the tab is
// visible and whether the insight charts are open ({"type": "viewer", ...}). Sent on every
// connect and whenever either changes. Only to servers that know the message: their hello
// carries a watch id (the same protocol revision added both).

/** Reports `store`'s viewer state through `send(message)`. */
export function reportViewer(store, send) {
  let last = null;
  function report(force) {
    const state = store.get();
    if (state.connection !== "connected" || !state.watchId) return;
    const message = {
      type: "viewer",
      visible: document.visibilityState === "visible",
      insights: state.open.has("insights"),
    };
    const key = JSON.stringify(message);
    if (!force && key === last) return;
    last = key;
    send(message);
  }
  document.addEventListener("visibilitychange", () => report(false));
  store.subscribe((state, changed) => {
    if (changed.has("connection") || changed.has("watchId")) report(true);
    else if (changed.has("open")) report(false);
  });
}
