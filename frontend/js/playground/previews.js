// Small pictures drawn entirely in the page (nothing fetched): a sketch of each data
// set's shape for its thumbnail, and each input feature's value over the input plane.

import { classColour, colorOf, paintValues } from "../core/palette.js";

const SKETCH_POINTS = 160;
const SKETCH_CLASSES = 3; // the multi-class sketches show the default number of classes

// A small seeded generator (mulberry32) so every sketch looks the same on every visit.
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random) {
  const u = Math.max(random(), 1e-9);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

// Shapes after TensorFlow Playground's generators, on the same [-6, 6] plane.
const SKETCHES = {
  circle(random, i) {
    const inner = i % 2 === 0;
    const r = inner ? random() * 2.5 : 3.5 + random() * 1.5;
    const angle = random() * 2 * Math.PI;
    return [r * Math.cos(angle), r * Math.sin(angle), inner ? 1 : -1];
  },
  xor(random) {
    const pad = (v) => v + (v > 0 ? 0.3 : -0.3);
    const x = pad(random() * 10 - 5);
    const y = pad(random() * 10 - 5);
    return [x, y, x * y >= 0 ? 1 : -1];
  },
  gauss(random, i) {
    const label = i % 2 === 0 ? 1 : -1;
    return [2 * label + normal(random), 2 * label + normal(random), label];
  },
  spiral(random, i) {
    const label = i % 2 === 0 ? 1 : -1;
    const t = (Math.floor(i / 2) / (SKETCH_POINTS / 2)) * 1.75 * 2 * Math.PI;
    const r = (Math.floor(i / 2) / (SKETCH_POINTS / 2)) * 5;
    const delta = label > 0 ? 0 : Math.PI;
    return [r * Math.sin(t + delta), r * Math.cos(t + delta), label];
  },
  moons(random, i) {
    // scikit-learn's make_moons, scaled as the server does: (xy - (0.5, 0.25)) * 3.5
    const t = random() * Math.PI;
    const upper = i % 2 === 0;
    const x = upper ? Math.cos(t) : 1 - Math.cos(t);
    const y = upper ? Math.sin(t) : 0.5 - Math.sin(t);
    return [(x - 0.5) * 3.5, (y - 0.25) * 3.5, upper ? 1 : -1];
  },
  checkerboard(random) {
    const x = random() * 12 - 6;
    const y = random() * 12 - 6;
    return [x, y, (Math.floor(x / 3) + Math.floor(y / 3)) % 2 === 0 ? 1 : -1];
  },
  // Multi-class (labels 0..K-1), after the server's generators.
  blobs(random, i) {
    const label = i % SKETCH_CLASSES;
    const angle = (2 * Math.PI * label) / SKETCH_CLASSES + Math.PI / 2;
    const x = 3.5 * Math.cos(angle) + 0.7 * normal(random);
    return [x, 3.5 * Math.sin(angle) + 0.7 * normal(random), label];
  },
  spirals(random, i) {
    const label = i % SKETCH_CLASSES;
    const step = Math.floor(i / SKETCH_CLASSES) / (SKETCH_POINTS / SKETCH_CLASSES);
    const t = step * 1.75 * 2 * Math.PI + (2 * Math.PI * label) / SKETCH_CLASSES;
    return [step * 5 * Math.sin(t), step * 5 * Math.cos(t), label];
  },
  plane(random) {
    const x = random() * 12 - 6;
    const y = random() * 12 - 6;
    return [x, y, (x + y) / 6];
  },
  multigauss(random) {
    const bumps = [
      [-4, 2.5, 1],
      [0, 2.5, -1],
      [4, 2.5, 1],
      [-4, -2.5, -1],
      [0, -2.5, 1],
      [4, -2.5, -1],
    ];
    const x = random() * 12 - 6;
    const y = random() * 12 - 6;
    let value = 0;
    for (const [cx, cy, sign] of bumps) value += sign * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 2);
    return [x, y, Math.max(-1, Math.min(1, 1.6 * value))];
  },
};

/** Classes of a data set's sketch, as `drawPointsThumbnail` takes them. */
export function sketchClasses(name, problem) {
  if (name === "blobs" || name === "spirals") return SKETCH_CLASSES;
  return problem === "regression" ? 0 : 2;
}

/** Points {xs (x1,x2 pairs), ys} sketching a named data set; null for an unknown name. */
export function sketchPoints(name) {
  const make = SKETCHES[name];
  if (!make) return null;
  const random = seededRandom(name.length * 7919 + name.charCodeAt(0));
  const xs = new Float32Array(SKETCH_POINTS * 2);
  const ys = new Float32Array(SKETCH_POINTS);
  for (let i = 0; i < SKETCH_POINTS; i += 1) {
    const [x, y, label] = make(random, i);
    xs[2 * i] = x;
    xs[2 * i + 1] = y;
    ys[i] = label;
  }
  return { xs, ys };
}

/** Colour of a point: by class index (`classes` > 2), by sign (2 classes) or by value (0: regression). */
export function pointColour(label, classes) {
  if (classes > 2) return classColour(Math.round(label));
  return colorOf(classes === 2 ? Math.sign(label) || 1 : label);
}

/**
 * Draws points (coloured by label) on a white canvas; `domain` is the plane's [lo, hi]; `classes`
 * as in a `data` message (K, 2 for +1/-1 labels, 0 for values).
 */
export function drawPointsThumbnail(canvas, sets, { domain = [-6, 6], classes = 2 } = {}) {
  const ctx = canvas.getContext("2d");
  const size = canvas.width;
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, size, size);
  const [lo, hi] = domain;
  const scale = size / (hi - lo);
  const radius = Math.max(1.2, size / 40);
  for (const { xs, ys } of sets) {
    for (let i = 0; i < ys.length; i += 1) {
      const [r, g, b] = pointColour(ys[i], classes);
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.beginPath();
      ctx.arc((xs[2 * i] - lo) * scale, (hi - xs[2 * i + 1]) * scale, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

// The seven input features as functions of (x1, x2), named as in the settings table.
const FEATURE_FUNCTIONS = {
  x1: (x1) => x1,
  x2: (_, x2) => x2,
  x1_sq: (x1) => x1 * x1,
  x2_sq: (_, x2) => x2 * x2,
  x1_x2: (x1, x2) => x1 * x2,
  sin_x1: (x1) => Math.sin(x1),
  sin_x2: (_, x2) => Math.sin(x2),
};

/**
 * A feature's values on a size x size grid over the plane (row 0 = top, x2 = hi),
 * scaled linearly so the grid spans [-1, 1]. Null for an unknown feature.
 */
export function featureGrid(name, size, domain = [-6, 6]) {
  const f = FEATURE_FUNCTIONS[name];
  if (!f) return null;
  const [lo, hi] = domain;
  const step = (hi - lo) / size;
  const values = new Float32Array(size * size);
  let min = Infinity;
  let max = -Infinity;
  for (let row = 0; row < size; row += 1) {
    const x2 = hi - (row + 0.5) * step;
    for (let col = 0; col < size; col += 1) {
      const v = f(lo + (col + 0.5) * step, x2);
      values[row * size + col] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const span = max - min || 1;
  for (let i = 0; i < values.length; i += 1) values[i] = ((values[i] - min) / span) * 2 - 1;
  return values;
}

/** Paints a feature's grid into `canvas` (its backing size is the grid size). */
export function paintFeature(canvas, name, size, domain) {
  const values = featureGrid(name, size, domain);
  if (!values) return;
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(size, size);
  paintValues(image, values);
  ctx.putImageData(image, 0, 0);
}
