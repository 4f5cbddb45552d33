// What the insight panel's Plotly charts share: loading Plotly, a plain layout, and a draw
// call that reports "not yet" while Plotly is still loading.

const PLOTLY_URL = "/vendor/plotly.min.js";
let plotlyLoading = null;

/** Resolves once the global `Plotly` exists, loading its script the first time. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = PLOTLY_URL;
      script.async = true;
      script.addEventListener("load", () => resolve(window.Plotly));
      script.addEventListener("error", () => {
        plotlyLoading = null; // let a later point try again
        reject(new Error(`could not load ${PLOTLY_URL}`));
      });
      document.head.append(script);
    });
  }
  return plotlyLoading;
}

export const PLOT_CONFIG = { displayModeBar: false, responsive: true, staticPlot: false };
export const INK = "#333333";

/** A compact layout: axis titles, transparent background, no Plotly legend (HTML legends are cheaper). */
export function chartLayout({ xTitle, yTitle, height = 170, yType = "linear", yRange, xRange, top = 8 }) {
  const axis = (text, extra) => ({
    title: { text, font: { size: 11 }, standoff: 4 },
    tickfont: { size: 10 },
    automargin: true,
    ...extra,
  });
  return {
    margin: { l: 48, r: 10, t: top, b: 34 },
    height,
    showlegend: false,
    xaxis: axis(xTitle, xRange ? { range: xRange } : { rangemode: "tozero" }),
    yaxis: axis(yTitle, {
      type: yType,
      ...(yRange ? { range: yRange } : yType === "log" ? { exponentformat: "power" } : { rangemode: "tozero" }),
    }),
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", color: INK },
  };
}

/**
 * Plotly.react into `element`; returns false (drawing nothing) while Plotly is still loading,
 * and calls `whenLoaded()` once it is there.
 */
export function drawChart(element, traces, layout, whenLoaded) {
  if (!window.Plotly) {
    loadPlotly().then(whenLoaded, (error) => console.warn("nnplay: no insight charts", error));
    return false;
  }
  window.Plotly.react(element, traces, layout, PLOT_CONFIG);
  return true;
}

// Viridis from dark purple to green (the yellow end is too pale on white): colour-blind safe
// and ordered, so the first layer and the output layer are told apart by lightness too.
const VIRIDIS = [
  [68, 1, 84],
  [65, 68, 135],
  [42, 120, 142],
  [34, 168, 132],
  [122, 209, 81],
];

/** The i-th of n colours along the palette above. */
export function sequentialColour(i, n) {
  const t = n <= 1 ? 0 : i / (n - 1);
  const scaled = t * (VIRIDIS.length - 1);
  const low = Math.min(VIRIDIS.length - 2, Math.floor(scaled));
  const f = scaled - low;
  const [r, g, b] = VIRIDIS[low].map((c, k) => Math.round(c + (VIRIDIS[low + 1][k] - c) * f));
  return `rgb(${r}, ${g}, ${b})`;
}
