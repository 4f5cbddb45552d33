// The divergence banner: while the run is diverged it shows the server's explanation (what
// happened, which learning rate to try) and a button that rolls back to the last good weights.

const HEADLINE = /^(training diverged[^:.]*[:.])\s*(.*)$/is;

// "training diverged at epoch 12: the loss ..." -> ["Training diverged at epoch 12:", "the loss ..."]
function splitMessage(message) {
  const match = HEADLINE.exec(message || "");
  if (!match) return ["Training diverged.", message || "The loss is no longer a finite number."];
  return [match[1].charAt(0).toUpperCase() + match[1].slice(1), match[2]];
}

/**
 * Binds `elements` {banner, headline, message, rollback} to the store's run state; `onRollback()` sends
 * the rollback command.
 */
export function bindDivergenceBanner(store, elements, onRollback) {
  elements.rollback.addEventListener("click", onRollback);

  function render(state) {
    const diverged = state.runState === "diverged";
    const [headline, text] = diverged ? splitMessage(state.statusMessage) : ["", ""];
    if (elements.headline.textContent !== headline) elements.headline.textContent = headline;
    if (elements.message.textContent !== text) elements.message.textContent = text;
    elements.banner.hidden = !diverged;
  }

  store.subscribe((state, changed) => {
    if (changed.has("runState") || changed.has("statusMessage")) render(state);
  });
  render(store.get());
}
