// The network's answer for the drawn digit: the predicted class and its probability, a bar per class,
// what the network sees (the 8x8 counts) and the saliency map (gradient x input, signed).

import { colorOf } from "../core/palette.js";
import { epochsTrainedText, inkColor, paintCells } from "./pictures.js";

/** createPredictionView(root) -> {show(reply, pixels), clear()} */
export function createPredictionView(root) {
  const text = root.querySelector("[data-testid=digit-prediction]");
  const bars = root.querySelector("[data-testid=probabilities]");
  const seen = root.querySelector("[data-testid=digit-seen]");
  const saliency = root.querySelector("[data-testid=saliency]");

  function show(reply, pixels) {
    const best = reply.predicted;
    const after = epochsTrainedText(reply.progress); // the header's figure when the weights answered
    text.textContent = `It's a ${best} · ${(100 * reply.probabilities[best]).toFixed(1)}% (after ${after})`;
    bars.replaceChildren(
      ...reply.probabilities.map((p, digit) => {
        const row = document.createElement("div");
        row.className = digit === best ? "bar best" : "bar";
        row.setAttribute("role", "img");
        row.setAttribute("aria-label", `${digit}: ${(100 * p).toFixed(1)}%`);
        row.innerHTML = `<span class="bar-digit">${digit}</span><span class="bar-fill" style="width: ${(100 * p).toFixed(1)}%"></span>`;
        return row;
      }),
    );
    paintCells(seen, pixels.map((v) => Math.round((v / 16) * 255)), 8, 8, inkColor);
    const scale = Math.max(1e-9, ...reply.saliency.map(Math.abs));
    paintCells(saliency, reply.saliency, 8, 8, (v) => colorOf(v / scale));
    saliency.dataset.max = String(scale);
  }

  function clear() {
    text.textContent = "Draw a digit";
    bars.replaceChildren();
    for (const canvas of [seen, saliency]) canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    delete saliency.dataset.max;
  }

  return { show, clear };
}
