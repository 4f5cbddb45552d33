// The drawing pad: a 32x32 bitmap drawn with a mouse, a finger or a pen (pointer events) or the
// keyboard, downsampled to 8x8 as scikit-learn's digits were made: the number of "on" pixels in
// each non-overlapping 4x4 block, 0..16. `onChange(pixels)` gets the 64 counts after every change.

const SIDE = 32;
const BLOCK = 4;
const BRUSH_RADIUS = 2.2; // cells: a stroke about 4 pixels wide, about the data set's pen
// Block cells from the centre out: a count of k fills the k cells nearest the block's centre.
const BLOCK_ORDER = [...Array(BLOCK * BLOCK).keys()].sort((a, b) => {
  const d = (i) => ((i % BLOCK) - 1.5) ** 2 + (Math.floor(i / BLOCK) - 1.5) ** 2;
  return d(a) - d(b) || a - b;
});

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

/** createDrawPad(canvas, {onChange(pixels)}) -> {clear(), load(counts)} */
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
    bits.fill(0);
    counts.forEach((count, block) => {
      const top = Math.floor(block / 8) * BLOCK;
      const left = (block % 8) * BLOCK;
      for (const k of BLOCK_ORDER.slice(0, count)) bits[(top + Math.floor(k / BLOCK)) * SIDE + left + (k % BLOCK)] = 1;
    });
    changedNow();
  }

  draw();
  return { clear, load, pixels: () => downsample(bits) };
}
