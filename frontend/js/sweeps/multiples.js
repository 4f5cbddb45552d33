// Small multiples: every run's decision map and loss curve, side by side, with "Open" (continue the run
// in the playground). The curves share one vertical scale, so runs compare at a glance.

import { BYTE_TO_RGBA, paintGrid } from "../core/palette.js";
import { describeRun, figureWords, formatNumber } from "./format.js";

const CURVE_W = 120;
const CURVE_H = 56;
const SVG = "http://www.w3.org/2000/svg";

function svgNode(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function buildCard(run, onOpen) {
  const card = document.createElement("figure");
  card.className = "sweep-card";
  card.dataset.testid = `sweep-run-${run.index}`;
  const map = document.createElement("canvas");
  map.width = map.height = 20;
  map.dataset.testid = `sweep-map-${run.index}`;
  map.setAttribute("role", "img");
  const curve = svgNode("svg", { viewBox: `0 0 ${CURVE_W} ${CURVE_H}`, class: "sweep-curve", role: "img" });
  curve.dataset.testid = `sweep-curve-${run.index}`;
  const train = svgNode("polyline", { class: "train", points: "" });
  const test = svgNode("polyline", { class: "test", points: "" });
  curve.append(train, test);
  const caption = document.createElement("figcaption");
  const words = document.createElement("span");
  const figure = document.createElement("strong");
  const open = document.createElement("button");
  open.type = "button";
  open.textContent = "Open";
  open.dataset.testid = `sweep-open-${run.index}`;
  open.addEventListener("click", () => onOpen(run.index));
  caption.append(words, figure, open);
  card.append(map, curve, caption);
  return { card, map, curve, train, test, words, figure, open, painted: -1 };
}

function paintMap(parts, run) {
  if (!run.bytes || parts.painted === run.thumbnail_version) return;
  const side = run.thumbnail_side;
  if (parts.map.width !== side) parts.map.width = parts.map.height = side;
  const ctx = parts.map.getContext("2d");
  const image = ctx.createImageData(side, side);
  paintGrid(image, run.bytes, 0, side, BYTE_TO_RGBA);
  ctx.putImageData(image, 0, 0);
  parts.painted = run.thumbnail_version;
}

function polyline(history, column, maxEpoch, maxLoss) {
  return history
    .filter((p) => p[column] !== null)
    .map((p) => {
      const x = (p[0] / Math.max(1, maxEpoch)) * CURVE_W;
      const y = CURVE_H - (Math.min(p[column], maxLoss) / maxLoss) * (CURVE_H - 2) - 1;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

/** createMultiples(container, onOpen, picture) -> {update(sweep)}: one card per run, kept across updates;
 * `picture` names what a card's picture shows ("decision map"). */
export function createMultiples(container, onOpen, picture = "decision map") {
  let cards = new Map();
  return {
    update(sweep) {
      if (cards.size !== sweep.runs.length || ![...cards.keys()].every((i) => i < sweep.runs.length)) {
        container.replaceChildren();
        cards = new Map(sweep.runs.map((run) => [run.index, buildCard(run, onOpen)]));
        for (const parts of cards.values()) container.append(parts.card);
      }
      const loss = figureWords(sweep).test_loss;
      const maxLoss = Math.max(1e-6, ...sweep.runs.flatMap((r) => r.history.flatMap((p) => [p[1] ?? 0, p[2] ?? 0])));
      for (const run of sweep.runs) {
        const parts = cards.get(run.index);
        paintMap(parts, run);
        parts.train.setAttribute("points", polyline(run.history, 1, sweep.epochs, maxLoss));
        parts.test.setAttribute("points", polyline(run.history, 2, sweep.epochs, maxLoss));
        const words = describeRun(run, sweep.varied);
        parts.words.textContent = words;
        parts.figure.textContent = `${loss} ${formatNumber(run.test_loss)}`;
        parts.map.setAttribute("aria-label", `${picture} of run ${run.index}: ${words}`);
        parts.curve.setAttribute("aria-label", `loss curve of run ${run.index}`);
        parts.card.dataset.state = run.state;
        parts.open.disabled = !["done", "stopped", "diverged", "stalled"].includes(run.state);
        parts.open.title = parts.open.disabled ? "It trains: open it once it has finished" : "Continue this run in the playground";
      }
    },
  };
}
