// A small popover to type one number (a weight or a bias): opened next to the link
// or neuron it edits; Enter or Set commits, Escape, its close button or a click elsewhere
// closes it, and the focus goes back to where it came from.

const GAP_PX = 8;

/** Creates the popover (hidden) in document.body; returns {open({anchor, label, value, max, onCommit}), close()}. */
export function createValuePopover() {
  const popover = document.createElement("div");
  popover.className = "value-popover";
  popover.dataset.testid = "weight-popover";
  popover.setAttribute("role", "dialog");
  popover.setAttribute("aria-labelledby", "value-popover-label");
  popover.hidden = true;

  const label = document.createElement("label");
  label.id = "value-popover-label";
  label.htmlFor = "value-popover-input";
  const input = document.createElement("input");
  input.id = "value-popover-input";
  input.type = "number";
  input.step = "any";
  input.dataset.testid = "weight-input";
  input.setAttribute("aria-describedby", "value-popover-hint");
  const hint = document.createElement("p");
  hint.id = "value-popover-hint";
  hint.className = "value-popover-hint";
  hint.setAttribute("aria-live", "polite");
  const set = document.createElement("button");
  set.type = "button";
  set.className = "text-button";
  set.dataset.testid = "weight-set";
  set.textContent = "Set";
  const closeButton = document.createElement("button");
  closeButton.type = "button";
  closeButton.className = "text-button popover-close";
  closeButton.dataset.testid = "weight-close";
  closeButton.setAttribute("aria-label", "Close without changing it");
  closeButton.textContent = "×";
  const row = document.createElement("div");
  row.className = "value-popover-row";
  row.append(input, set);
  popover.append(closeButton, label, row, hint);
  document.body.append(popover);

  let current = null; // {anchor, onCommit, max}

  function close({ restoreFocus = true } = {}) {
    if (!current) return;
    const { anchor } = current;
    current = null;
    popover.hidden = true;
    if (restoreFocus && anchor && anchor.isConnected) anchor.focus();
  }

  function commit() {
    const value = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(value) || Math.abs(value) > current.max) {
      hint.textContent = `Type a number between ${-current.max} and ${current.max}.`;
      input.setAttribute("aria-invalid", "true");
      return;
    }
    current.onCommit(value);
    close();
  }

  set.addEventListener("click", () => commit());
  closeButton.addEventListener("click", () => close());
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      commit();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
  // Focus leaving the popover (a click elsewhere, Tab) closes it without committing.
  popover.addEventListener("focusout", (event) => {
    if (current && !popover.contains(event.relatedTarget)) close({ restoreFocus: false });
  });

  function place(anchor) {
    const box = anchor.getBoundingClientRect();
    const width = popover.offsetWidth;
    const height = popover.offsetHeight;
    let left = box.left + box.width / 2 - width / 2;
    left = Math.max(GAP_PX, Math.min(left, window.innerWidth - width - GAP_PX));
    let top = box.bottom + GAP_PX;
    if (top + height > window.innerHeight - GAP_PX) top = Math.max(GAP_PX, box.top - height - GAP_PX);
    popover.style.left = `${left + window.scrollX}px`;
    popover.style.top = `${top + window.scrollY}px`;
  }

  return {
    open({ anchor, label: text, value, max = 100, onCommit }) {
      current = { anchor, onCommit, max };
      label.textContent = text;
      input.value = Number.isFinite(value) ? String(Number(value.toPrecision(4))) : "0";
      input.min = String(-max);
      input.max = String(max);
      input.removeAttribute("aria-invalid");
      hint.textContent = "Enter to set, Escape or × to cancel";
      popover.hidden = false;
      place(anchor);
      input.focus();
      input.select();
    },
    close,
  };
}
