// TensorFlow Playground's links (`playground.tensorflow.org/#activation=relu&dataset=spiral&...`)
// read into our settings. The keys and their meaning are TF Playground's (src/state.ts); what
// they map to is ours. Keys we have no equivalent for are reported, never silently dropped.

// Boolean feature keys -> our feature names, in TF Playground's order.
const FEATURE_KEYS = {
  x: "x1",
  y: "x2",
  xSquared: "x1_sq",
  ySquared: "x2_sq",
  xTimesY: "x1_x2",
  sinX: "sin_x1",
  sinY: "sin_x2",
  cosX: null, // no cosine features here
  cosY: null,
};
const TFP_FEATURE_DEFAULTS = { x: true, y: true };
const DATASETS = { circle: "circle", xor: "xor", gauss: "gauss", spiral: "spiral" };
const REG_DATASETS = { "reg-plane": "plane", "reg-gauss": "multigauss" };
const REGULARIZATIONS = { none: "none", L1: "l1", L2: "l2" };
// Plain keys whose value passes through as a number, under our setting name.
const NUMBER_KEYS = {
  batchSize: "batch_size",
  learningRate: "learning_rate",
  regularizationRate: "regularization_rate",
  noise: "noise",
  percTrainData: "train_ratio",
};
// TF Playground's `<control>_hide=true` names -> the names our `hide` parameter knows.
const HIDE_NAMES = {
  playButton: "play",
  stepButton: "step",
  resetButton: "reset",
  numHiddenLayers: "networkShape",
  percTrainData: "percTrainData",
  batchSize: "batchSize",
  learningRate: "learningRate",
  regularizationRate: "regularizationRate",
  showTestData: "showTestData",
};
// Keys that only steer TF Playground's own page (its tutorials, stats, text): nothing to map.
const IGNORED_KEYS = new Set(["tutorial", "collectStats", "hideText"]);
const KNOWN_KEYS = new Set([
  "activation",
  "regularization",
  "dataset",
  "regDataset",
  "networkShape",
  "seed",
  "showTestData",
  "discretize",
  "problem",
  "initZero",
  ...Object.keys(FEATURE_KEYS),
  ...Object.keys(NUMBER_KEYS),
  ...IGNORED_KEYS,
]);

/** The hash's key=value pairs, or null when it is not a TF Playground link. */
function parseHash(hash) {
  const text = (hash || "").replace(/^#/, "");
  if (!text.includes("=")) return null;
  const map = new Map();
  for (const pair of text.split("&")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    map.set(decodeURIComponent(pair.slice(0, at)), decodeURIComponent(pair.slice(at + 1)));
  }
  const recognised = [...map.keys()].some((key) => KNOWN_KEYS.has(key) || key.endsWith("_hide"));
  return recognised ? map : null;
}

// TF Playground seeds are strings such as "0.51234": an integer one is kept, any other becomes a
// stable 31-bit number (FNV-1a), so the same link always means the same data here.
function seedOf(text) {
  if (/^\d+$/.test(text) && Number(text) < 2 ** 31) return Number(text);
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash ^= char.codePointAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash & 0x7fffffff;
}

const isTrue = (value) => value !== "false"; // TF Playground: any other non-empty value is true

/**
 * Reads a TF Playground hash. Returns null when `hash` is not one, else {config, view, hide,
 * notices}: a partial config in our setting names, the view options (showTestData, discretize),
 * control names to hide, and what could not be carried over.
 */
export function readTfpHash(hash) {
  const map = parseHash(hash);
  if (!map) return null;
  const has = (key) => map.has(key) && map.get(key).trim() !== "";
  const config = {};
  const view = {};
  const hide = [];
  const notices = [];

  if (has("activation")) config.activation = map.get("activation");
  if (has("regularization")) {
    const value = REGULARIZATIONS[map.get("regularization")];
    if (value) config.regularization = value;
    else notices.push(`regularization ${map.get("regularization")}`);
  }
  for (const [key, name] of Object.entries(NUMBER_KEYS)) {
    if (has(key) && Number.isFinite(Number(map.get(key)))) config[name] = Number(map.get(key));
  }
  const regression = map.get("problem") === "regression";
  if (has("problem")) config.problem = regression ? "regression" : "classification";
  const datasetKey = regression ? "regDataset" : "dataset";
  if (has(datasetKey)) {
    const value = (regression ? REG_DATASETS : DATASETS)[map.get(datasetKey)];
    if (value) config.dataset = value;
    else notices.push(`${datasetKey} ${map.get(datasetKey)}`);
  } else if (regression) {
    config.dataset = "plane"; // TF Playground's default regression data
  }
  if (map.has("networkShape")) {
    const text = map.get("networkShape").trim();
    const shape = text === "" ? [] : text.split(",").map(Number);
    if (shape.every((n) => Number.isInteger(n) && n > 0)) config.hidden_layers = shape;
  }
  if (has("seed")) config.seed = seedOf(map.get("seed"));
  if (has("initZero") && isTrue(map.get("initZero"))) config.init = "zeros";

  // Features: a link names those it switches; the others keep TF Playground's defaults (x, y on).
  if (Object.keys(FEATURE_KEYS).some(has)) {
    const features = [];
    for (const [key, name] of Object.entries(FEATURE_KEYS)) {
      const on = has(key) ? isTrue(map.get(key)) : Boolean(TFP_FEATURE_DEFAULTS[key]);
      if (on && name) features.push(name);
      else if (on) notices.push(`the ${key} feature (not available here)`);
    }
    config.features = features;
  }

  if (has("showTestData")) view.showTestData = isTrue(map.get("showTestData"));
  if (has("discretize")) view.discretize = isTrue(map.get("discretize"));

  for (const [key, value] of map) {
    if (key.endsWith("_hide") && value === "true") {
      const control = key.slice(0, -"_hide".length);
      hide.push(HIDE_NAMES[control] || control);
    } else if (!KNOWN_KEYS.has(key) && !key.endsWith("_hide")) {
      notices.push(key);
    }
  }
  return { config, view, hide, notices };
}
