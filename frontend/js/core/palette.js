// Colour-blind-safe diverging palette, as in TensorFlow Playground:
// orange for -1, white for 0, blue for +1 (distinguishable with deuteranopia/protanopia).

export const NEGATIVE = [245, 147, 34]; // #f59322
export const NEUTRAL = [255, 255, 255]; // #ffffff
export const POSITIVE = [8, 119, 189]; // #0877bd

export const NEGATIVE_CSS = "#f59322";
export const POSITIVE_CSS = "#0877bd";

function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

/** RGB for a value in [-1, 1]. */
export function colorOf(value) {
  const v = Math.max(-1, Math.min(1, value));
  return v < 0 ? mix(NEUTRAL, NEGATIVE, -v) : mix(NEUTRAL, POSITIVE, v);
}

/** CSS colour string for a value in [-1, 1]. */
export function cssColorOf(value) {
  const [r, g, b] = colorOf(value);
  return `rgb(${r}, ${g}, ${b})`;
}

// Grids (network outputs) are drawn at GRID_STRENGTH of the full colours so that
// data points, drawn at full strength on top, stay visible against them.
export const GRID_STRENGTH = 0.7;

// Lookup tables from a grid byte (0..255) to RGBA, one smooth, one thresholded at 0.
function buildByteTable(discretize) {
  const table = new Uint8ClampedArray(256 * 4);
  for (let byte = 0; byte < 256; byte += 1) {
    let value = Math.max(-1, Math.min(1, byte / 127.5 - 1));
    if (discretize) value = value >= 0 ? 1 : -1;
    const [r, g, b] = colorOf(value * GRID_STRENGTH);
    table.set([r, g, b, 255], byte * 4);
  }
  return table;
}

export const BYTE_TO_RGBA = buildByteTable(false);
export const BYTE_TO_RGBA_DISCRETE = buildByteTable(true);

/** Paints a size x size byte grid into an ImageData using `table`. */
export function paintGrid(imageData, bytes, offset, size, table = BYTE_TO_RGBA) {
  const out = imageData.data;
  const count = size * size;
  for (let i = 0; i < count; i += 1) {
    const t = bytes[offset + i] * 4;
    const o = i * 4;
    out[o] = table[t];
    out[o + 1] = table[t + 1];
    out[o + 2] = table[t + 2];
    out[o + 3] = 255;
  }
}

/** Paints `values` (numbers in [-1, 1], row-major, row 0 on top) into an ImageData at grid strength. */
export function paintValues(imageData, values, table = BYTE_TO_RGBA) {
  const out = imageData.data;
  for (let i = 0; i < values.length; i += 1) {
    const byte = Math.max(0, Math.min(255, Math.round((values[i] + 1) * 127.5)));
    const t = byte * 4;
    const o = i * 4;
    out[o] = table[t];
    out[o + 1] = table[t + 1];
    out[o + 2] = table[t + 2];
    out[o + 3] = 255;
  }
}

// Multi-class data: one colour per class from Okabe and Ito's palette, which stays distinct with
// every common colour-vision deficiency. Yellow, the faintest on white, comes last (8 classes only).
export const CLASS_COLOURS_CSS = [
  "#e69f00", // orange
  "#56b4e9", // sky blue
  "#009e73", // bluish green
  "#cc79a7", // reddish purple
  "#0072b2", // blue
  "#d55e00", // vermilion
  "#000000", // black
  "#f0e442", // yellow
];
const CLASS_COLOURS = CLASS_COLOURS_CSS.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));

/** RGB of class `k` (0-based). */
export function classColour(k) {
  return CLASS_COLOURS[classSlot(k)];
}

/** CSS colour of class `k` (0-based). */
export function classCss(k) {
  return CLASS_COLOURS_CSS[classSlot(k)];
}

// Colours repeat past the palette's end (the server allows at most 8 classes).
function classSlot(k) {
  const n = CLASS_COLOURS_CSS.length;
  return ((Math.trunc(k) % n) + n) % n;
}

/**
 * Strength in [0, 1] of a multi-class cell whose predicted class has probability p = (v + 1) / 2
 * (v = the grid byte's value): 0 where the K classes are equally likely (p = 1/K), 1 where p = 1.
 */
export function confidenceOf(byte, classes) {
  const p = (Math.max(-1, Math.min(1, byte / 127.5 - 1)) + 1) / 2;
  const chance = 1 / Math.max(2, classes);
  return Math.max(0, Math.min(1, (p - chance) / (1 - chance)));
}

// Lookup tables (class, byte) -> RGBA, one per (classes, discretize).
const classTables = new Map();
function classTable(classes, discretize) {
  const key = `${classes}:${discretize}`;
  if (!classTables.has(key)) {
    const table = new Uint8ClampedArray(CLASS_COLOURS.length * 256 * 4);
    for (let k = 0; k < CLASS_COLOURS.length; k += 1) {
      for (let byte = 0; byte < 256; byte += 1) {
        const strength = GRID_STRENGTH * (discretize ? 1 : confidenceOf(byte, classes));
        table.set([...mix(NEUTRAL, classColour(k), strength), 255], (k * 256 + byte) * 4);
      }
    }
    classTables.set(key, table);
  }
  return classTables.get(key);
}

/**
 * Paints a multi-class decision map: each cell in its predicted class's colour (`classBytes`), the
 * colour's strength by the class's probability (`probabilityBytes`, coded 2p - 1), or full grid
 * strength when `discretize`. With `onlyClass` set, every other class's cells stay white.
 */
export function paintClassGrid(
  imageData,
  classBytes,
  probabilityBytes,
  size,
  { classes, discretize = false, onlyClass = null },
) {
  const table = classTable(classes, discretize);
  const out = imageData.data;
  const count = size * size;
  for (let i = 0; i < count; i += 1) {
    const k = classBytes[i] % CLASS_COLOURS.length;
    const o = i * 4;
    if (onlyClass !== null && k !== onlyClass) {
      out[o] = 255;
      out[o + 1] = 255;
      out[o + 2] = 255;
    } else {
      const t = (k * 256 + probabilityBytes[i]) * 4;
      out[o] = table[t];
      out[o + 1] = table[t + 1];
      out[o + 2] = table[t + 2];
    }
    out[o + 3] = 255;
  }
}
