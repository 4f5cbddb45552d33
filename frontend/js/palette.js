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
