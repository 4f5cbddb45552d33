// The banner for a run that cannot go on by itself: diverged (the loss is no longer finite) or
// stalled (every unit of a layer dead or constant, or the output saturated with the loss stuck).
// It shows the server's explanation (what happened, what to try) and a button that rolls back to
// the last good weights.

const HEADLINE = /^(training (?:diverged|stalled)[^:.]*[:.])\s*(.*)$/is;
const FALLBACK = {
  diverged: ["Training diverged.", "The loss is no longer a finite number."],
  stalled: ["Training stalled.", "The network stopped learning: its units are dead or saturated."],
};

// "training diverged at epoch 12: the loss ..." -> ["Training diverged at epoch 12:", "the loss ..."]
function splitMessage(state, message) {
  const match = HEADLINE.exec(message || "");
  if (!match) return message ? [FALLBACK[state][0], message] : FALLBACK[state];
  return [match[1].charAt(0).toUpperCase() + match[1].slice(1), match[2]];
}

/**
 * Binds `elements` {banner, headline, message, rollback} to the store's run state; `onRollback()` sends
 * the rollback command.
 */
export function bindDivergenceBanner(store, elements, onRollback) {
  elements.rollback.addEventListener("click", onRollback);

  function render(state) {
    const stuck = state.runState === "diverged" || state.runState === "stalled";
    const [headline, text] = stuck ? splitMessage(state.runState, state.statusMessage) : ["", ""];
    if (elements.headline.textContent !== headline) elements.headline.textContent = headline;
    if (elements.message.textContent !== text) elements.message.textContent = text;
    elements.banner.hidden = !stuck;
    elements.banner.dataset.state = stuck ? state.runState : "";
  }

  store.subscribe((state, changed) => {
    if (changed.has("runState") || changed.has("statusMessage")) render(state);
  });
  render(store.get());
}
