// Parallel coordinates of the sweep (plotly's `parcoords`): one axis per varied setting, the seed, and
// the final test loss; one line per run that has a test loss, coloured by it. Settings that are not
// numbers (activations, layer lists) get one tick per value; learning rates and other settings that
// span a factor of 10 or more are drawn on a log axis (log10 values, ticks in the settings' own words).

import { PLOT_CONFIG, loadPlotly } from "../core/plotting.js";
import { figuresOf, figureWords, formatNumber, formatValue, labelOf } from "./format.js";

function dimension(label, values) {
  if (values.every((v) => typeof v === "number")) {
    const low = Math.min(...values);
    const high = Math.max(...values);
    if (low > 0 && high / low >= 10) {
      const ticks = [...new Set(values)].sort((a, b) => a - b);
      return { label, values: values.map(Math.log10), tickvals: ticks.map(Math.log10), ticktext: ticks.map((t) => formatNumber(t, 3)) };
    }
    const distinct = [...new Set(values)].sort((a, b) => a - b);
    const whole = distinct.length <= 12 && distinct.every(Number.isInteger); // seeds, batch sizes: their own ticks
    return {
      label,
      values,
      range: low === high ? [low - 1, high + 1] : undefined,
      ...(whole ? { tickvals: distinct, ticktext: distinct.map(String) } : {}),
    };
  }
  const names = [...new Set(values.map(formatValue))];
  return { label, values: values.map((v) => names.indexOf(formatValue(v))), tickvals: names.map((_, i) => i), ticktext: names, range: [-0.5, names.length - 0.5] };
}

/** createParcoords(element) -> {update(sweep)}: redrawn at most twice a second. */
export function createParcoords(element) {
  let pending = null;
  let drawnAt = 0;
  let timer = null;
  const draw = async () => {
    timer = null;
    const sweep = pending;
    const runs = sweep.runs.filter((r) => r.test_loss !== null && r.test_loss !== undefined);
    element.dataset.lines = String(runs.length);
    if (!runs.length) return;
    const Plotly = await loadPlotly();
    drawnAt = performance.now();
    const losses = runs.map((r) => r.test_loss);
    const [, loss] = figuresOf(sweep)[0]; // the figure a sweep ranks by (a GAN's: its distance to the data)
    const dims = [
      ...sweep.varied.map((name) => dimension(labelOf(name), runs.map((r) => r.varied[name]))),
      dimension("Seed", runs.map((r) => r.seed)),
      { label: loss, values: losses },
    ];
    const trace = {
      type: "parcoords",
      dimensions: dims,
      line: { color: losses, colorscale: "Viridis", showscale: true, colorbar: { title: { text: figureWords(sweep).test_loss, side: "right" }, thickness: 12 } },
      labelfont: { size: 12 },
      tickfont: { size: 11 },
    };
    const layout = { margin: { l: 60, r: 60, t: 40, b: 20 }, height: 320, paper_bgcolor: "rgba(0,0,0,0)", font: { family: "system-ui, sans-serif", color: "#333" } };
    await Plotly.react(element, [trace], layout, PLOT_CONFIG);
    element.dataset.drawn = String(Number(element.dataset.drawn || 0) + 1);
  };
  return {
    update(sweep) {
      pending = sweep;
      if (timer !== null) return;
      const wait = Math.max(0, 500 - (performance.now() - drawnAt));
      timer = setTimeout(() => draw().catch((error) => console.warn("nnplay: parallel coordinates", error)), wait);
    },
  };
}
