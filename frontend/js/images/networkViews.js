// What the network computes: each conv layer's filters, one test digit's feature maps through every
// layer, and the training digits exactly as the last epoch's first minibatch saw them.

import { inkColor, paint, pictureCanvas, signedColor } from "./pictures.js";

const KIND_NAMES = { conv: "conv", maxpool: "max pool", avgpool: "avg pool", flatten: "flatten", dense: "dense", dropout: "dropout", batchnorm: "batch norm" };

function group(title, testId) {
  const box = document.createElement("figure");
  box.className = "view-group";
  if (testId) box.dataset.testid = testId;
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const tiles = document.createElement("div");
  tiles.className = "tiles";
  box.append(caption, tiles);
  return [box, tiles];
}

/**
 * Repaints the canvases `root` shows when it shows pictures of the same shapes (`key`): a frame of the same
 * stack changes pixels only. `specs` lists [bytes, offset, color] of every canvas in document order.
 * Returns false when root must be built anew (then the caller sets root.dataset.shape = key).
 * Building hundreds of canvases per frame took most of a slow machine's main thread (the page fell behind
 * its frames and a click on the stack editor could wait for seconds).
 */
function repainted(root, key, specs) {
  if (root.dataset.shape !== key) return false;
  const canvases = root.querySelectorAll("canvas");
  if (canvases.length !== specs.length) return false;
  specs.forEach(([bytes, offset, color], i) => paint(canvases[i], bytes, offset, color));
  return true;
}

/** The filters of every conv layer: the first layer's as one image each, deeper ones per input channel. */
export function renderFilters(root, filters) {
  const key = JSON.stringify(filters.map(({ layer, filters: count, channels, size }) => [layer, count, channels, size]));
  const specs = filters.flatMap(({ filters: count, channels, size, data }) =>
    Array.from({ length: count * channels }, (_, i) => [data, i * size * size, signedColor]),
  );
  if (repainted(root, key, specs)) return;
  root.dataset.shape = key;
  if (!filters.length) {
    root.innerHTML = `<p class="hint">No convolution layer: add one to see its filters.</p>`;
    return;
  }
  const groups = filters.map((layer) => {
    const { filters: count, channels, size, data } = layer;
    const title = `layer ${layer.layer}: ${count} filters ${size}×${size}` + (channels > 1 ? ` × ${channels} channels` : "");
    const [box, tiles] = group(title, `filters-layer-${layer.layer}`);
    const scale = channels > 1 ? Math.max(2, Math.floor(24 / size)) : Math.floor(40 / size);
    for (let f = 0; f < count; f += 1) {
      const filter = document.createElement("span");
      filter.className = channels > 1 ? "filter-stack" : "filter";
      for (let c = 0; c < channels; c += 1) {
        const offset = (f * channels + c) * size * size;
        filter.append(pictureCanvas(data, offset, size, size, scale, signedColor, channels > 1 ? "" : `filter ${f + 1}`));
      }
      if (channels > 1) {
        filter.setAttribute("role", "img");
        filter.setAttribute("aria-label", `filter ${f + 1} across ${channels} channels`);
      }
      tiles.append(filter);
    }
    return box;
  });
  root.replaceChildren(...groups);
}

/** The chosen digit, then its maps after every layer (min..max of each layer as white..blue). */
export function renderFeatureMaps(root, digit, maps) {
  const key = JSON.stringify([digit.label, maps.map(({ layer, kind, shape }) => [layer, kind, shape])]);
  const specs = [[digit.image, 0, inkColor]];
  for (const { shape, data } of maps) {
    if (shape.length === 3) {
      const [h, w, c] = shape;
      for (let k = 0; k < c; k += 1) specs.push([data, k * h * w, inkColor]);
    } else {
      specs.push([denseRows(data, shape[0]), 0, inkColor]);
    }
  }
  if (repainted(root, key, specs)) return;
  root.dataset.shape = key;
  const [input, inputTiles] = group(`input: a ${digit.label}`, "feature-input");
  inputTiles.append(pictureCanvas(digit.image, 0, 8, 8, 6, inkColor, `test digit, a ${digit.label}`));
  const groups = [input];
  for (const map of maps) {
    const shape = map.shape;
    const [box, tiles] = group(`${map.layer}. ${KIND_NAMES[map.kind] || map.kind} → ${shape.join("×")}`, `feature-layer-${map.layer}`);
    if (shape.length === 3) {
      const [h, w, c] = shape;
      const scale = Math.max(2, Math.floor(32 / h));
      for (let k = 0; k < c; k += 1) tiles.append(pictureCanvas(map.data, k * h * w, w, h, scale, inkColor));
    } else {
      const n = shape[0];
      const cols = Math.min(n, 32);
      tiles.append(pictureCanvas(denseRows(map.data, n), 0, cols, Math.ceil(n / cols), 6, inkColor));
    }
    tiles.setAttribute("role", "img");
    tiles.setAttribute("aria-label", `layer ${map.layer} output, ${shape.join(" by ")}`);
    groups.push(box);
  }
  root.replaceChildren(...groups);
}

/** A dense layer's n values as rows of 32 (the last row padded with zeros). */
function denseRows(data, n) {
  const cols = Math.min(n, 32);
  const padded = new Uint8Array(Math.ceil(n / cols) * cols);
  padded.set(data.subarray(0, n));
  return padded;
}

/** The augmented training digits of the last epoch's first minibatch. */
export function renderSamples(root, samples) {
  const count = samples.length / 64;
  const specs = Array.from({ length: count }, (_, i) => [samples, i * 64, inkColor]);
  if (repainted(root, String(count), specs)) return;
  root.dataset.shape = String(count);
  const tiles = [];
  for (let i = 0; i < count; i += 1) tiles.push(pictureCanvas(samples, i * 64, 8, 8, 4, inkColor, `training digit ${i + 1}`));
  root.replaceChildren(...tiles);
}
