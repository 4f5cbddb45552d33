// The drawing pad: a 32x32 bitmap drawn with a mouse, a finger or a pen (pointer events) or the
// keyboard, downsampled to 8x8 as scikit-learn's digits were made: the number of "on" pixels in
// each non-overlapping 4x4 block, 0..16. `onChange(pixels)` gets the 64 counts after every change.

const SIDE = 32;
const BLOCK = 4;
const BRUSH_RADIUS = 2.2; // cells: a stroke about 4 pixels wide, about the data set's pen
const GRID = SIDE / BLOCK; // 8: the digit's own resolution

/** 32x32 bits -> 64 counts 0..16 (row by row). */
export function downsample(bits) {
  const counts = new Array(64).fill(0);
  for (let r = 0; r < SIDE; r += 1) {
    for (let c = 0; c < SIDE; c += 1) {
      if (bits[r * SIDE + c]) counts[Math.floor(r / BLOCK) * 8 + Math.floor(c / BLOCK)] += 1;
    }
  }
  return counts;
}

/** The digit's value (0..16) at a 32 x 32 cell, bilinear between the 8 x 8 cells' centres. */
function smoothValue(counts, r, c) {
  const y = Math.min(GRID - 1, Math.max(0, (r + 0.5) / BLOCK - 0.5));
  const x = Math.min(GRID - 1, Math.max(0, (c + 0.5) / BLOCK - 0.5));
  const r0 = Math.floor(y);
  const c0 = Math.floor(x);
  const r1 = Math.min(GRID - 1, r0 + 1);
  const c1 = Math.min(GRID - 1, c0 + 1);
  const fy = y - r0;
  const fx = x - c0;
  const at = (row, col) => counts[row * GRID + col];
  return (
    (1 - fy) * ((1 - fx) * at(r0, c0) + fx * at(r0, c1)) + fy * ((1 - fx) * at(r1, c0) + fx * at(r1, c1))
  );
}

/**
 * A 32 x 32 drawing whose every 4 x 4 block has exactly its count of ink (so it downsamples back to
 * `counts`, the digit the net sees), the ink in each block placed where the digit is darkest around
 * it: strokes that run from block to block, as a pen drew them, not dots in the blocks' middles.
 */
export function strokesFor(counts) {
  const out = new Uint8Array(SIDE * SIDE);
  for (let block = 0; block < GRID * GRID; block += 1) {
    const top = Math.floor(block / GRID) * BLOCK;
    const left = (block % GRID) * BLOCK;
    const cells = [];
    for (let k = 0; k < BLOCK * BLOCK; k += 1) {
      const r = top + Math.floor(k / BLOCK);
      const c = left + (k % BLOCK);
      cells.push({ index: r * SIDE + c, value: smoothValue(counts, r, c) });
    }
    cells.sort((a, b) => b.value - a.value || a.index - b.index);
    for (const { index } of cells.slice(0, counts[block])) out[index] = 1;
  }
  return out;
}

/** createDrawPad(canvas, {onChange(pixels)}) -> {clear(), load(counts), pixels()} */
export function createDrawPad(canvas, { onChange }) {
  const bits = new Uint8Array(SIDE * SIDE);
  const cell = canvas.width / SIDE;
  let last = null; // the previous pointer cell of the current stroke
  let cursor = { r: 16, c: 16 };
  let showCursor = false;

  function stamp(r0, c0) {
    let changed = false;
    const reach = Math.ceil(BRUSH_RADIUS);
    for (let r = Math.floor(r0) - reach; r <= Math.floor(r0) + reach; r += 1) {
      for (let c = Math.floor(c0) - reach; c <= Math.floor(c0) + reach; c += 1) {
        if (r < 0 || c < 0 || r >= SIDE || c >= SIDE) continue;
        if ((r + 0.5 - r0) ** 2 + (c + 0.5 - c0) ** 2 > BRUSH_RADIUS ** 2) continue;
        if (!bits[r * SIDE + c]) changed = true;
        bits[r * SIDE + c] = 1;
      }
    }
    return changed;
  }

  function strokeTo(point) {
    let changed = false;
    const from = last || point;
    const steps = Math.max(1, Math.ceil(Math.hypot(point.r - from.r, point.c - from.c) * 2));
    for (let s = 1; s <= steps; s += 1) {
      const t = s / steps;
      changed = stamp(from.r + (point.r - from.r) * t, from.c + (point.c - from.c) * t) || changed;
    }
    last = point;
    if (changed) changedNow();
  }

  function changedNow() {
    draw();
    onChange(downsample(bits));
  }

  function draw() {
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#1a1a1a";
    for (let i = 0; i < bits.length; i += 1) {
      if (bits[i]) ctx.fillRect((i % SIDE) * cell, Math.floor(i / SIDE) * cell, cell, cell);
    }
    ctx.strokeStyle = "rgba(8, 119, 189, 0.25)"; // the 4x4 blocks that become one pixel each
    ctx.lineWidth = 1;
    for (let k = 1; k < 8; k += 1) {
      const at = k * BLOCK * cell + 0.5;
      ctx.beginPath();
      ctx.moveTo(at, 0);
      ctx.lineTo(at, canvas.height);
      ctx.moveTo(0, at);
      ctx.lineTo(canvas.width, at);
      ctx.stroke();
    }
    if (showCursor) {
      ctx.strokeStyle = "#b3261e";
      ctx.lineWidth = 2;
      ctx.strokeRect((cursor.c - 1.5) * cell, (cursor.r - 1.5) * cell, 3 * cell, 3 * cell);
    }
  }

  function pointerCell(event) {
    const box = canvas.getBoundingClientRect();
    return { r: ((event.clientY - box.top) / box.height) * SIDE, c: ((event.clientX - box.left) / box.width) * SIDE };
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = null;
    strokeTo(pointerCell(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!canvas.hasPointerCapture(event.pointerId)) return;
    event.preventDefault();
    strokeTo(pointerCell(event));
  });
  const end = () => {
    last = null;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  canvas.addEventListener("focus", () => {
    showCursor = true;
    draw();
  });
  canvas.addEventListener("blur", () => {
    showCursor = false;
    draw();
  });
  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      const [dr, dc] = moves[event.key];
      const next = { r: Math.min(SIDE - 1, Math.max(0, cursor.r + 2 * dr)), c: Math.min(SIDE - 1, Math.max(0, cursor.c + 2 * dc)) };
      if (event.shiftKey || penDown) {
        last = { r: cursor.r + 0.5, c: cursor.c + 0.5 };
        cursor = next;
        strokeTo({ r: cursor.r + 0.5, c: cursor.c + 0.5 });
      } else {
        cursor = next;
      }
      draw();
    } else if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      penDown = !penDown;
      last = null;
      if (penDown) strokeTo({ r: cursor.r + 0.5, c: cursor.c + 0.5 });
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      clear();
    }
  });
  let penDown = false;

  function clear() {
    bits.fill(0);
    changedNow();
  }

  /** Fills the pad so that it downsamples to `counts` (64 values 0..16): a test digit to edit. */
  function load(counts) {
    bits.set(strokesFor(counts));
    changedNow();
  }

  draw();
  return { clear, load, pixels: () => downsample(bits) };
}
