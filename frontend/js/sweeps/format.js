// How the sweep page writes settings and figures.

/** A number in 4 significant digits, "–" for none. */
export function formatNumber(value, digits = 4) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toPrecision(digits).replace(/\.?0+(e|$)/, "$1");
}

/** A setting's value as text (lists joined by commas). */
export function formatValue(value) {
  return Array.isArray(value) ? `[${value.join(",")}]` : String(value);
}

const labels = new Map();

/** Learns the settings' labels from the schema (once, at start). */
export function learnLabels(schema) {
  for (const s of schema.settings) labels.set(s.name, s.label);
}

/** A setting's label ("Learning rate"), or its name. */
export function labelOf(name) {
  return labels.get(name) ?? name;
}

const FIGURE_WORDS = { test_loss: "test loss", train_loss: "training loss", test_accuracy: "test accuracy", train_accuracy: "training accuracy" };

/** The sweep's figures as its lab measures and words them (the server's `figures`; a GAN's test loss is
 * its distance to the data): {test_loss: "test loss", ...}, the figure it ranks by first. */
export function figureWords(sweep) {
  return sweep.figures ?? FIGURE_WORDS;
}

/** The same as column headers: [[key, "Test loss"], ...]. */
export function figuresOf(sweep) {
  return Object.entries(figureWords(sweep)).map(([key, words]) => [key, words[0].toUpperCase() + words.slice(1)]);
}

/** "Learning rate 0.01 · seed 2". */
export function describeRun(run, varied) {
  return [...varied.map((name) => `${labelOf(name)} ${formatValue(run.varied[name])}`), `seed ${run.seed}`].join(" · ");
}
