// Panels that open on demand (the toolbox, the per-layer settings, the insight charts): a
// disclosure button each, their open state in the store (and so in the address bar). A panel
// opened by its button comes into view (on a phone the toolbox lies screens below its button).

/**
 * `panels`: {name: {toggle, panel, apply(open)}}: the button that opens and closes the panel, the
 * panel's element and what opening it does. Keeps each button's aria-expanded in step with
 * `store.get().open` (a Set of names). Returns nothing; state flows through the store.
 */
export function bindPanels(store, panels) {
  let opening = null; // the panel just opened by its button, to bring into view once it is shown
  for (const [name, { toggle }] of Object.entries(panels)) {
    toggle.addEventListener("click", () => {
      const open = new Set(store.get().open);
      if (open.has(name)) open.delete(name);
      else {
        open.add(name);
        opening = name;
      }
      store.set({ open });
    });
  }
  function render(state) {
    for (const [name, { toggle, apply }] of Object.entries(panels)) {
      const open = state.open.has(name);
      toggle.setAttribute("aria-expanded", String(open));
      apply(open);
    }
    if (opening && state.open.has(opening)) bringIntoView(panels[opening].panel);
    opening = null;
  }
  store.subscribe((state, changed) => {
    if (changed.has("open")) render(state);
  });
  render(store.get());
}

/** Scrolls `element` into view if any of its top part is out of it (its top first, if it is tall). */
function bringIntoView(element) {
  if (!element) return;
  requestAnimationFrame(() => {
    const box = element.getBoundingClientRect();
    const visibleTop = box.top >= 0 && box.top < window.innerHeight - 40;
    if (!visibleTop || box.bottom > window.innerHeight) {
      element.scrollIntoView({ block: box.height > window.innerHeight ? "start" : "nearest" });
    }
  });
}
