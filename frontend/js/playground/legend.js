// The output map's colour legend, following the data: the orange-white-blue scale with the two
// classes (or targets) of binary and regression data, or one swatch per class for multi-class data.

import { classCss } from "../core/palette.js";

/**
 * elements: {scale (the -1..+1 bar), binary (the two point swatches), negative, positive (their
 * texts), classes (the container of the per-class swatches)}. Returns {setData(data)}.
 */
export function createLegend(elements) {
  let shownClasses = null;

  function showClasses(count) {
    if (shownClasses === count) return;
    shownClasses = count;
    const items = Array.from({ length: count }, (_, k) => {
      const item = document.createElement("span");
      item.className = "legend-class";
      item.dataset.testid = `legend-class-${k}`;
      const swatch = document.createElement("span");
      swatch.className = "swatch swatch-class";
      swatch.style.background = classCss(k);
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, `class ${k}`);
      return item;
    });
    const shade = document.createElement("span");
    shade.className = "legend-shade";
    shade.textContent = "pale: unsure, strong: sure";
    elements.classes.replaceChildren(...items, shade);
  }

  return {
    /** Follows a decoded `data` message ({problem, classes}). */
    setData(data) {
      const multi = data.classes > 2;
      elements.scale.hidden = multi;
      elements.binary.hidden = multi;
      elements.classes.hidden = !multi;
      if (multi) {
        showClasses(data.classes);
        return;
      }
      const noun = data.problem === "regression" ? "target" : "class";
      elements.negative.textContent = `${noun} −1`;
      elements.positive.textContent = `${noun} +1`;
    },
  };
}
