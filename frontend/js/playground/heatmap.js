// The output heat map: the network's output over the input plane, with the data
// points over it. For multi-class data it is a decision map instead: each cell in its
// predicted class's colour, strong where the net is confident. It can instead show one
// hidden neuron's grid or one input feature ("inspect"), enlarged. The grid is painted 1:1
// into a canvas of its own size (100 x 100, or 10 x 10 for a neuron) that CSS scales up
// smoothly; the points live in a second canvas on top that is redrawn only when the data or
// the options change. Per frame the browser thus uploads 100 x 100 pixels, not the whole picture.

import { BYTE_TO_RGBA, BYTE_TO_RGBA_DISCRETE, paintClassGrid, paintGrid, paintValues } from "../core/palette.js";
import { featureGrid, pointColour } from "./previews.js";
import { drawOnNextFrame } from "../core/renderScheduler.js";

const POINT_RADIUS_PX = 3.2;
const FEATURE_GRID_SIZE = 50;

/**
 * Creates a canvas heat map inside `container`.
 * Options: domain [lo, hi] of both axes (from schema.grid.domain); caption, an element
 * that says what is shown; featureLabels, name -> label.
 * Returns {update(frame), setData(data), setOptions({showTestData, discretize}),
 * inspect(target | null), reset()}.
 */
export function createHeatmap(
  container,
  { domain = [-6, 6], label = "Network output", caption = null, featureLabels = new Map() } = {},
) {
  container.classList.add("heatmap-stack");
  const gridCanvas = document.createElement("canvas");
  gridCanvas.className = "heatmap-canvas heatmap-grid";
  gridCanvas.setAttribute("role", "img");
  gridCanvas.setAttribute("aria-label", label);
  const gridCtx = gridCanvas.getContext("2d");
  const pointsCanvas = document.createElement("canvas");
  pointsCanvas.className = "heatmap-canvas heatmap-points";
  pointsCanvas.setAttribute("aria-hidden", "true");
  const pointsCtx = pointsCanvas.getContext("2d");
  container.append(gridCanvas, pointsCanvas);
  let pointsStale = true;

  let frame = null;
  let data = null;
  let options = { showTestData: false, discretize: false };
  let target = null; // what is inspected instead of the output, or null
  const featureGrids = new Map();
  const requestDraw = drawOnNextFrame(() => draw());

  // Only the points need the display's resolution; the grid canvas keeps the grid's.
  function resize() {
    const cssSize = Math.max(1, Math.floor(container.clientWidth));
    const pixels = Math.round(cssSize * (window.devicePixelRatio || 1));
    if (pointsCanvas.width !== pixels) {
      pointsCanvas.width = pixels;
      pointsCanvas.height = pixels;
      pointsStale = true;
      requestDraw();
    }
  }

  function sizeGridCanvas(size) {
    if (gridCanvas.width !== size) {
      gridCanvas.width = size;
      gridCanvas.height = size;
    }
    return gridCtx.createImageData(size, size);
  }

  // Byte grid of the inspected neuron: {bytes, offset, size}, or null if the frame lacks it.
  function neuronGrid(layer, index) {
    if (!frame || layer >= frame.layers.length || index >= frame.layers[layer]) return null;
    const size = frame.neuronGridSize;
    let before = index;
    for (let l = 0; l < layer; l += 1) before += frame.layers[l];
    const offset = before * size * size;
    if (frame.neuronGrids.length < offset + size * size) return null;
    return { bytes: frame.neuronGrids, offset, size };
  }

  // A frame with one output per class and the predicted class of every cell.
  function isMultiClass() {
    const cells = frame ? frame.gridSize * frame.gridSize : 0;
    return (
      frame !== null &&
      frame.outputs > 1 &&
      frame.outputClasses.length === cells &&
      frame.outputGrid.length === cells
    );
  }

  function table() {
    return options.discretize ? BYTE_TO_RGBA_DISCRETE : BYTE_TO_RGBA;
  }

  // Paints what is shown into gridCanvas; returns false when there is nothing to show.
  function paintShown() {
    if (target && target.kind === "feature") {
      if (!featureGrids.has(target.name)) {
        featureGrids.set(target.name, featureGrid(target.name, FEATURE_GRID_SIZE, domain));
      }
      const values = featureGrids.get(target.name);
      if (!values) return false;
      const image = sizeGridCanvas(FEATURE_GRID_SIZE);
      paintValues(image, values, table());
      gridCtx.putImageData(image, 0, 0);
      return true;
    }
    if (!target && isMultiClass()) {
      const image = sizeGridCanvas(frame.gridSize);
      paintClassGrid(image, frame.outputClasses, frame.outputGrid, frame.gridSize, {
        classes: frame.outputs,
        discretize: options.discretize,
      });
      gridCtx.putImageData(image, 0, 0);
      return true;
    }
    const grid =
      target && target.kind === "neuron"
        ? neuronGrid(target.layer, target.index)
        : frame && frame.outputGrid.length === frame.gridSize * frame.gridSize
          ? { bytes: frame.outputGrid, offset: 0, size: frame.gridSize }
          : null;
    if (!grid) return false;
    const image = sizeGridCanvas(grid.size);
    paintGrid(image, grid.bytes, grid.offset, grid.size, table());
    gridCtx.putImageData(image, 0, 0);
    return true;
  }

  function drawPoints(xs, ys, stroke) {
    const [lo, hi] = domain;
    const scale = pointsCanvas.width / (hi - lo);
    const radius = POINT_RADIUS_PX * (window.devicePixelRatio || 1);
    const classes = data.classes ?? (data.problem === "regression" ? 0 : 2);
    pointsCtx.lineWidth = Math.max(1, radius / 3);
    pointsCtx.strokeStyle = stroke;
    for (let i = 0; i < ys.length; i += 1) {
      const px = (xs[2 * i] - lo) * scale;
      const py = (hi - xs[2 * i + 1]) * scale; // row 0 is the top: x2 = hi
      const [r, g, b] = pointColour(ys[i], classes);
      pointsCtx.beginPath();
      pointsCtx.arc(px, py, radius, 0, 2 * Math.PI);
      pointsCtx.fillStyle = `rgb(${r}, ${g}, ${b})`;
      pointsCtx.fill();
      pointsCtx.stroke();
    }
  }

  function redrawPoints() {
    pointsStale = false;
    pointsCtx.clearRect(0, 0, pointsCanvas.width, pointsCanvas.height);
    if (!data) return;
    drawPoints(data.trainX, data.trainY, "#ffffff");
    if (options.showTestData) drawPoints(data.testX, data.testY, "#000000");
  }

  function draw() {
    if (!paintShown()) {
      sizeGridCanvas(1);
      gridCtx.fillStyle = "#ffffff";
      gridCtx.fillRect(0, 0, 1, 1);
    }
    // A discretized grid keeps its hard cell edges; otherwise CSS scales it smoothly.
    gridCanvas.classList.toggle("discrete", options.discretize);
    if (pointsStale) redrawPoints();
  }

  function describe() {
    let text = "showing the network output";
    let aria = label;
    if (isMultiClass()) {
      text = "showing the predicted class: the stronger the colour, the surer the net";
      aria = "Predicted class over the input plane";
    }
    if (target && target.kind === "neuron") {
      const name = `${target.layer + 1},${target.index + 1}`;
      text = `showing neuron ${name} (hidden layer ${target.layer + 1}, neuron ${target.index + 1})`;
      aria = `Output of neuron ${name}`;
    } else if (target && target.kind === "feature") {
      const name = featureLabels.get(target.name) || target.name;
      text = `showing input feature ${name}`;
      aria = `Input feature ${name}`;
    }
    if (caption) caption.textContent = text;
    gridCanvas.setAttribute("aria-label", aria);
  }

  new ResizeObserver(resize).observe(container);
  resize();
  describe();

  return {
    update(newFrame) {
      const wasMultiClass = isMultiClass();
      frame = newFrame;
      if (isMultiClass() !== wasMultiClass) describe();
      requestDraw();
    },
    setData(newData) {
      data = newData;
      pointsStale = true;
      requestDraw();
    },
    setOptions(newOptions) {
      options = { ...options, ...newOptions };
      pointsStale = true;
      requestDraw();
    },
    inspect(newTarget) {
      target = newTarget;
      describe();
      requestDraw();
    },
    reset() {
      frame = null;
      describe();
      requestDraw();
    },
  };
}
