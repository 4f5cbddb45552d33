// One state object for the page, plus change notification.
// Writers call set(patch); readers subscribe and receive (state, changedKeys).

/** Creates a store holding `initial`; returns {get, set, subscribe}. */
export function createStore(initial) {
  let state = { ...initial };
  const listeners = new Set();

  function get() {
    return state;
  }

  // Shallow merge. A key counts as changed when its value is a new reference,
  // so writers replace objects (config, frame) instead of mutating them.
  function set(patch) {
    const changed = new Set();
    for (const [key, value] of Object.entries(patch)) {
      if (!Object.is(state[key], value)) changed.add(key);
    }
    if (changed.size === 0) return;
    state = { ...state, ...patch };
    for (const listener of listeners) listener(state, changed);
  }

  function subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  return { get, set, subscribe };
}
