// Panels that open on demand (the toolbox, the per-layer settings, the insight charts): a
// disclosure button each, their open state in the store (and so in the address bar).

/**
 * `panels`: {name: {toggle, apply(open)}}: the button that opens and closes the panel and what
 * opening it does. Keeps each button's aria-expanded in step with `store.get().open` (a Set of
 * names). Returns nothing; state flows through the store.
 */
export function bindPanels(store, panels) {
  for (const [name, { toggle }] of Object.entries(panels)) {
    toggle.addEventListener("click", () => {
      const open = new Set(store.get().open);
      if (open.has(name)) open.delete(name);
      else open.add(name);
      store.set({ open });
    });
  }
  function render(state) {
    for (const [name, { toggle, apply }] of Object.entries(panels)) {
      const open = state.open.has(name);
      toggle.setAttribute("aria-expanded", String(open));
      apply(open);
    }
  }
  store.subscribe((state, changed) => {
    if (changed.has("open")) render(state);
  });
  render(store.get());
}
