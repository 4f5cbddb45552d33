// Help tooltips: every control gets a description (aria-describedby, read by screen
// readers) and one shared floating tooltip shows that text on hover and on keyboard focus.

let nextId = 0;
let tip = null; // the shared tooltip element
let owner = null; // the element whose help is showing
let pointerDownAt = 0;
const descriptionIds = new Map(); // help text -> id of its description element
let descriptions = null; // hidden container of the description texts (outside controls, so no name changes)

const POINTER_FOCUS_MS = 400; // a focus this soon after a click came from the mouse, not the keyboard
const GAP_PX = 6;

function ensureTip() {
  if (tip) return tip;
  tip = document.createElement("div");
  tip.className = "tooltip";
  tip.dataset.testid = "tooltip";
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  descriptions = document.createElement("div");
  descriptions.hidden = true;
  document.body.append(tip, descriptions);
  document.addEventListener("pointerdown", () => {
    pointerDownAt = performance.now();
    hide();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
  window.addEventListener("scroll", () => owner && place(owner), { passive: true });
  return tip;
}

function show(element) {
  const text = element.dataset.help;
  if (!text) return;
  ensureTip();
  owner = element;
  tip.textContent = text;
  tip.hidden = false;
  place(element);
}

// Below the control (above it near the bottom of the window), kept inside the viewport.
function place(element) {
  const box = element.getBoundingClientRect();
  const width = tip.offsetWidth;
  const left = Math.max(GAP_PX, Math.min(box.left, window.innerWidth - width - GAP_PX));
  let top = box.bottom + GAP_PX;
  if (top + tip.offsetHeight > window.innerHeight - GAP_PX) top = box.top - tip.offsetHeight - GAP_PX;
  tip.style.left = `${left}px`;
  tip.style.top = `${Math.max(GAP_PX, top)}px`;
}

function hide(element) {
  if (!tip || (element && owner !== element)) return;
  owner = null;
  tip.hidden = true;
}

/**
 * Gives `element` help text: a hidden description its control points to with aria-describedby,
 * and the shared tooltip on hover and keyboard focus. `target` (default `element`) is
 * the focusable control the description belongs to.
 */
export function attachHelp(element, text, target = element) {
  if (!text) return;
  ensureTip();
  // Controls rebuilt with the same help (e.g. the per-layer selects) share one description.
  let id = descriptionIds.get(text);
  if (!id) {
    nextId += 1;
    id = `help-${nextId}`;
    const description = document.createElement("span");
    description.id = id;
    description.textContent = text;
    descriptions.append(description);
    descriptionIds.set(text, id);
  }
  const describedBy = target.getAttribute("aria-describedby");
  target.setAttribute("aria-describedby", describedBy ? `${describedBy} ${id}` : id);
  element.dataset.help = text;
  element.dataset.helpId = id;
  element.addEventListener("mouseenter", () => show(element));
  element.addEventListener("mouseleave", () => hide(element));
  element.addEventListener("focusin", (event) => {
    // Help inside help (a per-layer select in the layer editor): the innermost one speaks.
    if (event.target.closest("[data-help]") !== element) return;
    if (performance.now() - pointerDownAt > POINTER_FOCUS_MS) show(element);
  });
  element.addEventListener("focusout", () => hide(element));
}
