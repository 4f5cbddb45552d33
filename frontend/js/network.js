// The network diagram: input features, one column per hidden layer with a small
// heat map per neuron (the frame's `neuron_grids`), the output node, and links
// coloured and sized by weight.

import { BYTE_TO_RGBA, colorOf, paintGrid } from "./palette.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MAX_LINK_WIDTH_PX = 5;
const MAX_LINKS = 3000; // beyond this the links are left out; the neurons are still drawn

/**
 * Creates the diagram inside `container`. `featureLabels` maps feature name -> label.
 * Returns {setInputs(featureNames), update(frame), reset()}.
 */
export function createNetworkView(container, { featureLabels = new Map() } = {}) {
  container.classList.add("network");
  const links = document.createElementNS(SVG_NS, "svg");
  links.classList.add("network-links");
  links.setAttribute("aria-hidden", "true");
  const columns = document.createElement("div");
  columns.className = "network-columns";
  container.append(links, columns);

  let inputs = [];
  let layers = null; // hidden layer sizes the DOM was built for
  let nodeColumns = []; // per column, the node elements
  let lineColumns = []; // per weight matrix, the <line> elements (row-major in x out)
  let frame = null;
  let drawPending = false;

  function build(hiddenLayers) {
    layers = hiddenLayers.slice();
    columns.replaceChildren();
    nodeColumns = [];
    const count = layers.length + 2;
    columns.style.gridTemplateColumns = `repeat(${count}, minmax(0, 1fr))`;

    const inputColumn = addColumn();
    nodeColumns.push(
      inputs.map((name) => {
        const node = document.createElement("div");
        node.className = "node input-node";
        node.textContent = featureLabels.get(name) || name;
        inputColumn.append(node);
        return node;
      }),
    );
    layers.forEach((size, layerIndex) => {
      const column = addColumn();
      const nodes = [];
      for (let n = 0; n < size; n += 1) {
        const canvas = document.createElement("canvas");
        canvas.className = "node neuron";
        canvas.dataset.testid = `neuron-${layerIndex}-${n}`;
        column.append(canvas);
        nodes.push(canvas);
      }
      nodeColumns.push(nodes);
    });
    const outputColumn = addColumn();
    const output = document.createElement("canvas");
    output.className = "node output-node";
    outputColumn.append(output);
    nodeColumns.push([output]);

    container.setAttribute(
      "aria-label",
      `Network: ${inputs.length} inputs, hidden layers ${layers.join(", ") || "none"}, 1 output`,
    );
    placeLinks();
  }

  // The container is role="img" with a summary label, so columns carry no labels of their own.
  function addColumn() {
    const column = document.createElement("div");
    column.className = "network-column";
    columns.append(column);
    return column;
  }

  // Lines go from each node's right edge to each node's left edge in the next column.
  function placeLinks() {
    links.replaceChildren();
    lineColumns = [];
    let linkCount = 0;
    for (let c = 0; c + 1 < nodeColumns.length; c += 1) {
      linkCount += nodeColumns[c].length * nodeColumns[c + 1].length;
    }
    // Thousands of SVG lines repainted every frame would stall the page (extended mode).
    if (linkCount > MAX_LINKS) return;
    const box = container.getBoundingClientRect();
    links.setAttribute("width", String(box.width));
    links.setAttribute("height", String(box.height));
    for (let c = 0; c + 1 < nodeColumns.length; c += 1) {
      const lines = [];
      for (const from of nodeColumns[c]) {
        const a = from.getBoundingClientRect();
        for (const to of nodeColumns[c + 1]) {
          const b = to.getBoundingClientRect();
          const line = document.createElementNS(SVG_NS, "line");
          line.setAttribute("x1", String(a.right - box.left));
          line.setAttribute("y1", String(a.top + a.height / 2 - box.top));
          line.setAttribute("x2", String(b.left - box.left));
          line.setAttribute("y2", String(b.top + b.height / 2 - box.top));
          line.setAttribute("stroke", "#cccccc");
          line.setAttribute("stroke-width", "1");
          links.append(line);
          lines.push(line);
        }
      }
      lineColumns.push(lines);
    }
    requestDraw();
  }

  function paintCanvas(canvas, bytes, offset, size) {
    if (canvas.width !== size) {
      canvas.width = size;
      canvas.height = size;
    }
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(size, size);
    paintGrid(image, bytes, offset, size, BYTE_TO_RGBA);
    ctx.putImageData(image, 0, 0);
  }

  function draw() {
    if (!frame) return;
    const size = frame.neuronGridSize;
    const cells = size * size;
    let offset = 0;
    layers.forEach((count, layerIndex) => {
      for (let n = 0; n < count; n += 1) {
        if (frame.neuronGrids.length >= offset + cells) {
          paintCanvas(nodeColumns[layerIndex + 1][n], frame.neuronGrids, offset, size);
        }
        offset += cells;
      }
    });
    const outputNode = nodeColumns[nodeColumns.length - 1][0];
    if (frame.outputGrid.length === frame.gridSize * frame.gridSize) {
      paintCanvas(outputNode, frame.outputGrid, 0, frame.gridSize);
    }
    frame.weights.forEach((weights, w) => {
      const lines = lineColumns[w];
      if (!lines || lines.length !== weights.length) return;
      for (let i = 0; i < weights.length; i += 1) {
        const [r, g, b] = colorOf(weights[i]);
        lines[i].setAttribute("stroke", `rgb(${r}, ${g}, ${b})`);
        lines[i].setAttribute(
          "stroke-width",
          String(Math.min(MAX_LINK_WIDTH_PX, 0.6 + Math.abs(weights[i]) * 1.5)),
        );
      }
    });
  }

  function requestDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw();
    });
  }

  function sameLayers(a, b) {
    return a !== null && a.length === b.length && a.every((v, i) => v === b[i]);
  }

  new ResizeObserver(() => {
    if (layers !== null) placeLinks();
  }).observe(container);

  return {
    setInputs(featureNames) {
      inputs = featureNames.slice();
      build(layers || []);
    },
    update(newFrame) {
      frame = newFrame;
      // A frame may lag a configure; draw the layers it describes. Links whose
      // weight count disagrees with the drawn inputs are skipped until they agree.
      if (!sameLayers(layers, frame.layers)) build(frame.layers);
      requestDraw();
    },
    reset() {
      frame = null;
      build(layers || []);
    },
  };
}
