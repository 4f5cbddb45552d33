// Keyboard shortcuts: Space plays/pauses, → trains one epoch, r resets.
// They stay out of the way of typing (inputs, selects, text areas) and of keys
// a focused control already uses (Space on a button, arrows in the weight links).

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

function isTyping(element) {
  return Boolean(element) && (TYPING.has(element.tagName) || element.isContentEditable);
}

function usesSpace(element) {
  return Boolean(element) && Boolean(element.closest("button, a[href], summary, [role='button']"));
}

/** Installs the shortcuts on `target` (document); `actions`: {playPause(), step(), reset()}. */
export function installShortcuts(target, actions) {
  target.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const element = event.target instanceof Element ? event.target : null;
    if (isTyping(element)) return;
    if (event.key === " " && !usesSpace(element)) {
      event.preventDefault(); // not a page scroll
      actions.playPause();
    } else if (event.key === "ArrowRight") {
      event.preventDefault();
      actions.step();
    } else if ((event.key === "r" || event.key === "R") && !event.shiftKey) {
      actions.reset();
    }
  });
}
