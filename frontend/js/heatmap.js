// The output heat map: the network's output over the input plane, drawn from the
// frame's byte grid scaled up smoothly, with the data points drawn over it.

import { BYTE_TO_RGBA, BYTE_TO_RGBA_DISCRETE, colorOf, paintGrid } from "./palette.js";

const POINT_RADIUS_PX = 3.2;

/**
 * Creates a canvas heat map inside `container`.
 * Options: domain [lo, hi] of both axes (from schema.grid.domain).
 * Returns {update(frame), setData(data), setOptions({showTestData, discretize}), reset()}.
 */
export function createHeatmap(container, { domain = [-6, 6], label = "Network output" } = {}) {
  const canvas = document.createElement("canvas");
  canvas.className = "heatmap-canvas";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  container.append(canvas);
  const ctx = canvas.getContext("2d");

  // The grid is painted 1:1 into a small offscreen canvas, then drawn scaled.
  const gridCanvas = document.createElement("canvas");
  const gridCtx = gridCanvas.getContext("2d");

  let frame = null;
  let data = null;
  let options = { showTestData: false, discretize: false };
  let drawPending = false;

  function resize() {
    const cssSize = Math.max(1, Math.floor(container.clientWidth));
    const pixels = Math.round(cssSize * (window.devicePixelRatio || 1));
    if (canvas.width !== pixels) {
      canvas.width = pixels;
      canvas.height = pixels;
      canvas.style.width = `${cssSize}px`;
      canvas.style.height = `${cssSize}px`;
      requestDraw();
    }
  }

  function requestDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw();
    });
  }

  function drawGrid() {
    const size = frame.gridSize;
    if (gridCanvas.width !== size) {
      gridCanvas.width = size;
      gridCanvas.height = size;
    }
    const image = gridCtx.createImageData(size, size);
    paintGrid(image, frame.outputGrid, 0, size, options.discretize ? BYTE_TO_RGBA_DISCRETE : BYTE_TO_RGBA);
    gridCtx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = !options.discretize;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(gridCanvas, 0, 0, canvas.width, canvas.height);
  }

  function drawPoints(xs, ys, stroke) {
    const [lo, hi] = domain;
    const scale = canvas.width / (hi - lo);
    const radius = POINT_RADIUS_PX * (window.devicePixelRatio || 1);
    const classification = data.problem !== "regression";
    ctx.lineWidth = Math.max(1, radius / 3);
    ctx.strokeStyle = stroke;
    for (let i = 0; i < ys.length; i += 1) {
      const px = (xs[2 * i] - lo) * scale;
      const py = (hi - xs[2 * i + 1]) * scale; // row 0 is the top: x2 = hi
      const [r, g, b] = colorOf(classification ? Math.sign(ys[i]) || 1 : ys[i]);
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.fill();
      ctx.stroke();
    }
  }

  function draw() {
    if (frame && frame.outputGrid.length === frame.gridSize * frame.gridSize) {
      drawGrid();
    } else {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
    }
    if (data) {
      drawPoints(data.trainX, data.trainY, "#ffffff");
      if (options.showTestData) drawPoints(data.testX, data.testY, "#000000");
    }
  }

  new ResizeObserver(resize).observe(container);
  resize();

  return {
    update(newFrame) {
      frame = newFrame;
      requestDraw();
    },
    setData(newData) {
      data = newData;
      requestDraw();
    },
    setOptions(newOptions) {
      options = { ...options, ...newOptions };
      requestDraw();
    },
    reset() {
      frame = null;
      requestDraw();
    },
  };
}
