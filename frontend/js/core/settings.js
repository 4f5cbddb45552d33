// Helpers over the server's settings table (GET /api/schema).
// The table is the one source of truth for names, defaults, ranges and URL keys;
// nothing here knows a particular setting's range or default.

/** The full default config, as the table defines it. */
export function defaultConfig(schema) {
  return Object.fromEntries(schema.settings.map((s) => [s.name, s.default]));
}

/** The config a fresh page starts from: the table's defaults and the page's own (e.g. a watchable speed). */
export function pageDefaultConfig(schema) {
  return { ...defaultConfig(schema), ...(schema.page_defaults || {}) };
}

/**
 * Whether a setting means something in `config` (schema.applies_when, e.g. momentum only for the
 * optimizers that use it). Settings without a rule always apply.
 */
export function settingApplies(schema, name, config) {
  const rule = schema.applies_when?.[name];
  if (!rule) return true;
  return Object.entries(rule).every(([other, values]) => values.includes(config[other]));
}

/** The problem type ("classification" | "regression") of a named data set. */
export function problemOfDataset(schema, datasetName) {
  const dataset = schema.datasets.find((d) => d.name === datasetName);
  return dataset ? dataset.problem : undefined;
}

/**
 * What the labels of the data a config trains on are: "multi" (classes 0..K-1), "binary" (+1/-1)
 * or "value" (regression). The person's own data follows the problem type.
 */
export function labelKind(schema, config) {
  if (config.problem === "regression") return "value";
  const dataset = schema.datasets.find((d) => d.name === config.dataset);
  return dataset && dataset.classes === "multi" ? "multi" : "binary";
}

/** Output neurons of the net a config describes: K for multi-class data, else 1. */
export function outputCount(schema, config) {
  return labelKind(schema, config) === "multi" ? Number(config.classes) || 1 : 1;
}

/** The losses the server accepts for a config's data (schema.losses_for, by kind of labels). */
export function validLosses(schema, config) {
  return schema.losses_for[labelKind(schema, config)];
}

/**
 * `changes` (a configure about to be sent) plus, when the loss in effect would not fit the data
 * they lead to, the loss that does: cross-entropy for multi-class data, else square.
 */
export function withConsistentLoss(schema, config, changes) {
  if (!schema.settings.some((s) => s.name === "loss")) return changes;
  const next = { ...config, ...changes };
  const valid = validLosses(schema, next);
  if (valid.includes(next.loss)) return changes;
  return { ...changes, loss: valid.includes("square") ? "square" : valid[0] };
}

/** Layer/neuron limits for a mode ("reference" | "extended"). */
export function limitsForMode(schema, mode) {
  return schema.limits[mode];
}

function encodeValue(value) {
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

// Returns undefined for anything that does not parse; the server validates ranges.
function decodeValue(setting, text) {
  switch (setting.type) {
    case "float": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? n : undefined;
    }
    case "int": {
      const n = Number(text);
      return text.trim() !== "" && Number.isInteger(n) ? n : undefined;
    }
    case "features":
    case "choice_list":
      return text === "" ? [] : text.split(",");
    case "float_list": {
      if (text === "") return [];
      const values = text.split(",").map((part) => (part.trim() === "" ? NaN : Number(part)));
      return values.every(Number.isFinite) ? values : undefined;
    }
    case "layers": {
      if (text === "") return [];
      const counts = text.split(",").map(Number);
      return counts.every(Number.isInteger) ? counts : undefined;
    }
    default: // "choice" and anything newer: pass the text through
      return text;
  }
}

/** Partial config read from URL query keys (each setting's `url_key`). */
export function configFromQuery(schema, searchParams) {
  const config = {};
  for (const setting of schema.settings) {
    const key = setting.url_key || setting.name;
    if (!searchParams.has(key)) continue;
    const value = decodeValue(setting, searchParams.get(key));
    if (value !== undefined) config[setting.name] = value;
  }
  return config;
}

/** True when the query names at least one setting (a shared link, not a bare visit). */
export function queryHasConfig(schema, searchParams) {
  return schema.settings.some((s) => searchParams.has(s.url_key || s.name));
}

/**
 * Writes the whole config into `searchParams` (mutating it), in table order, each setting
 * under its `url_key`. Defaults are written too: a shared link must mean the same run even
 * if the server's defaults change, and a link that names settings always starts its own
 * session instead of resuming whichever one the visitor's browser remembers.
 */
export function writeConfigToQuery(schema, config, searchParams) {
  for (const setting of schema.settings) searchParams.delete(setting.url_key || setting.name);
  for (const setting of schema.settings) {
    const value = config[setting.name];
    if (value !== undefined) searchParams.append(setting.url_key || setting.name, encodeValue(value));
  }
  return searchParams;
}
