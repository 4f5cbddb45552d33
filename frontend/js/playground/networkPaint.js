// Painting the network diagram's maps: each map is painted 1:1 into a canvas of the grid's own size
// (10 x 10 for a neuron) and scaled up by CSS, so the browser copies 100 pixels per neuron and frame.

import { BYTE_TO_RGBA, cssColorOf, paintClassGrid, paintGrid } from "../core/palette.js";

/** A byte grid (`size` x `size` from `offset`) into `canvas`. */
export function paintMap(canvas, bytes, offset, size) {
  if (!canvas) return;
  if (canvas.width !== size) {
    canvas.width = size;
    canvas.height = size;
  }
  const context = canvas.getContext("2d");
  const image = context.createImageData(size, size);
  paintGrid(image, bytes, offset, size, BYTE_TO_RGBA);
  context.putImageData(image, 0, 0);
}

/** Where class k wins (of `classes`), shaded by confidence; white elsewhere. */
export function paintClassMap(canvas, frame, k, classes) {
  const size = frame.gridSize;
  if (canvas.width !== size) {
    canvas.width = size;
    canvas.height = size;
  }
  const context = canvas.getContext("2d");
  const image = context.createImageData(size, size);
  paintClassGrid(image, frame.outputClasses, frame.outputGrid, size, { classes, onlyClass: k });
  context.putImageData(image, 0, 0);
}

/** A bias as the colour of its mark (20 steps per sign). */
export function biasColour(value) {
  return cssColorOf(Math.round(Math.max(-1, Math.min(1, value)) * 20) / 20);
}

/**
 * Paints every neuron's map and bias mark and the output node(s) from `frame`. `nodes`: {layers,
 * outputs, mapCanvases (per layer), biasMarks (per layer), outputCanvases}.
 */
export function paintNetwork(frame, nodes) {
  const size = frame.neuronGridSize;
  const cells = size * size;
  let offset = 0;
  nodes.layers.forEach((count, layer) => {
    const biases = frame.biases[layer];
    for (let n = 0; n < count; n += 1) {
      if (frame.neuronGrids.length >= offset + cells) {
        paintMap(nodes.mapCanvases[layer]?.[n], frame.neuronGrids, offset, size);
      }
      offset += cells;
      const mark = nodes.biasMarks[layer]?.[n];
      if (biases && n < biases.length && mark) {
        const colour = biasColour(biases[n]);
        if (mark.dataset.colour !== colour) {
          mark.dataset.colour = colour;
          mark.style.background = colour;
        }
      }
    }
  });
  const gridCells = frame.gridSize * frame.gridSize;
  if (frame.outputGrid.length !== gridCells) return;
  if (nodes.outputs > 1 && frame.outputClasses.length === gridCells) {
    nodes.outputCanvases.forEach((canvas, k) => paintClassMap(canvas, frame, k, nodes.outputs));
  } else if (nodes.outputs === 1) {
    paintMap(nodes.outputCanvases[0], frame.outputGrid, 0, frame.gridSize);
  }
}
