// What the network diagram says about the node or link under the pointer or the finger. Hovering (or
// focusing) shows a small read-out of its value next to it. A tap on a touch screen pins an inspector
// instead: the neuron's output enlarged, its bias or the link's weight, and an Edit button that opens
// the editor only when asked (so no keyboard pops up) and a Close button.

import { formatWeight } from "./networkLinks.js";

const PICTURE_PX = 96;
const EDGE_PX = 4;

function button(text, testId, label) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "text-button";
  element.dataset.testid = testId;
  element.textContent = text;
  if (label) element.setAttribute("aria-label", label);
  return element;
}

/**
 * In `container` (the diagram, positioned): returns {hover(target | null), pin(target), unpin(),
 * refresh(), pinned()}. A target is {name, label ("weight" | "bias"), value(): number, x, y (px in the
 * container), picture(): canvas | null, edit()}.
 */
export function createInspector(container) {
  const readout = document.createElement("div");
  readout.className = "value-readout";
  readout.dataset.testid = "value-readout";
  readout.setAttribute("aria-hidden", "true"); // the focused element's aria-label says the same
  readout.hidden = true;

  const panel = document.createElement("div");
  panel.className = "network-inspector";
  panel.dataset.testid = "network-inspector";
  panel.setAttribute("role", "status");
  panel.hidden = true;
  const title = document.createElement("p");
  title.className = "inspector-title";
  const value = document.createElement("p");
  value.className = "inspector-value";
  value.dataset.testid = "inspector-value";
  const picture = document.createElement("canvas");
  picture.className = "inspector-picture";
  picture.width = PICTURE_PX;
  picture.height = PICTURE_PX;
  picture.setAttribute("aria-hidden", "true");
  const edit = button("Edit", "inspector-edit");
  const close = button("×", "inspector-close", "Close");
  const actions = document.createElement("div");
  actions.className = "inspector-actions";
  actions.append(edit, close);
  panel.append(close, title, picture, value, actions);
  container.append(readout, panel);

  let hovered = null;
  let pinned = null;
  edit.addEventListener("click", () => pinned?.edit());
  close.addEventListener("click", () => unpin());

  function place(element, target) {
    const width = element.offsetWidth;
    const max = container.clientWidth - width - EDGE_PX;
    const left = Math.max(EDGE_PX, Math.min(target.x - width / 2, max));
    element.style.left = `${left}px`;
    element.style.top = `${target.y}px`;
  }

  function refresh() {
    readout.hidden = !hovered || Boolean(pinned);
    if (hovered && !pinned) {
      readout.textContent = `${hovered.label} ${formatWeight(hovered.value())}`;
      // The read-out is centred on its point (CSS translate): it only needs its top and left.
      readout.style.left = `${hovered.x}px`;
      readout.style.top = `${hovered.y}px`;
    }
    panel.hidden = !pinned;
    if (!pinned) return;
    title.textContent = pinned.name;
    value.textContent = `${pinned.label} ${formatWeight(pinned.value())}`;
    const source = pinned.picture ? pinned.picture() : null;
    picture.hidden = !source;
    if (source && source.width) {
      const context = picture.getContext("2d");
      context.imageSmoothingEnabled = false;
      context.drawImage(source, 0, 0, PICTURE_PX, PICTURE_PX);
    }
    edit.textContent = `Edit the ${pinned.label}`;
  }

  function unpin() {
    pinned = null;
    refresh();
  }

  return {
    hover(target) {
      hovered = target;
      refresh();
    },
    pin(target) {
      pinned = target;
      refresh();
      place(panel, target);
    },
    unpin,
    refresh,
    pinned: () => pinned,
  };
}
