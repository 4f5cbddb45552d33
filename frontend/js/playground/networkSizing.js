// The network diagram's geometry: how large its nodes and the gaps between them are, from the space
// the diagram has and the net it shows (its tallest column and its number of columns). The sizes go
// into CSS variables (--node-size, --node-gap, --output-size) that the stylesheet lays the columns out
// with, so what is drawn (nodes, and links measured from them) is always the layout's own geometry.

export const MAX_NODE_PX = 64;
export const MIN_NODE_PX = 4; // 64 neurons in a column still fit a 335-px diagram
const GAP_RATIO = 0.25; // the gap between two neurons of a column, per neuron size (at least 1 px)
const MAX_GAP_PX = 12;
const COLUMN_GAP_PX = 8; // .network-columns' gap
const LINK_SHARE = 0.5; // at least this share of a column's width is left to the links
const OUTPUT_SCALE = 1.4; // the single output node is this much larger than a neuron
const MIN_OUTPUT_PX = 28;
const SMALL_NODE_PX = 16; // below this, bias marks and class labels are left out
const PADDING_PX = 16; // .network's vertical padding

/** The gap between nodes of `size` px. */
export function gapFor(size) {
  return Math.max(1, Math.min(MAX_GAP_PX, Math.floor(size * GAP_RATIO)));
}

/**
 * Node sizes for a diagram of `width` x `height` px (its inner box) whose input column is `inputWidth`
 * px wide, showing `hidden` (neurons per hidden layer) and `outputs` output nodes. Returns {node, gap,
 * output, minHeight}: minHeight is the height the tallest column needs at the smallest node size.
 */
export function nodeSizes({ width, height, inputWidth, hidden, outputs }) {
  const columns = hidden.length + 1; // the hidden layers and the output share the space after the inputs
  const columnWidth = Math.max(0, (width - inputWidth - COLUMN_GAP_PX * columns) / columns);
  const tallest = Math.max(...hidden, outputs, 1);
  const columnHeight = (size) => tallest * size + (tallest - 1) * gapFor(size);
  let node = Math.floor(Math.min(MAX_NODE_PX, height / tallest, columnWidth * LINK_SHARE));
  while (node > MIN_NODE_PX && columnHeight(node) > height) node -= 1;
  node = Math.max(MIN_NODE_PX, node);
  const gap = gapFor(node);
  // The single output is the net's answer: larger than a neuron, and never a dot beside 64 of them.
  const wanted = outputs === 1 ? Math.max(node * OUTPUT_SCALE, MIN_OUTPUT_PX) : node;
  const output = Math.max(MIN_NODE_PX, Math.floor(Math.min(wanted, columnWidth * 0.8, height)));
  const minHeight = columnHeight(MIN_NODE_PX) + PADDING_PX;
  return { node, gap, output, minHeight };
}

/** Sizes `container` (the .network element) for the net; returns the sizes it set. */
export function fitNetwork(container, inputColumn, { hidden, outputs }) {
  const style = getComputedStyle(container);
  const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  const sizes = nodeSizes({
    width: container.clientWidth,
    height: container.clientHeight - padding,
    inputWidth: inputColumn.getBoundingClientRect().width,
    hidden,
    outputs,
  });
  const set = (name, px) => {
    const value = `${px}px`;
    if (container.style.getPropertyValue(name) !== value) container.style.setProperty(name, value);
  };
  set("--node-size", sizes.node);
  set("--node-gap", sizes.gap);
  set("--output-size", sizes.output);
  container.style.minHeight = `${sizes.minHeight}px`;
  container.classList.toggle("small-nodes", sizes.node < SMALL_NODE_PX);
  return sizes;
}
