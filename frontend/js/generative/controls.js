// The generative lab's settings, built from the settings table the server sends (hello.schema).
// Each change is sent as a `configure` message; the server's `config` message sets what is shown.

import { createWidget, testIdOf } from "../core/widgets.js";

const RATES = [0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1];
const TEST_IDS = { model: "gen-model", dataset: "gan-data" };
const MODEL_NAMES = { gan: "GAN (points of the plane)", ae: "Autoencoder (digits)", vae: "VAE (digits)" };
const GROUP_CLASS = { gan: "gan-only", data: "gan-only", autoencoder: "ae-only" };

/** A text input of comma-separated layer widths ("64, 64"), committed on change. */
function layersInput(setting, commit, onError) {
  const wrap = document.createElement("label");
  wrap.className = "setting";
  wrap.append(setting.label);
  const input = document.createElement("input");
  input.type = "text";
  input.dataset.testid = testIdOf(setting.name);
  input.title = `${setting.help} Comma-separated widths, e.g. 64, 64`;
  input.addEventListener("change", () => {
    const parts = input.value.split(",").map((p) => p.trim()).filter(Boolean);
    const widths = parts.map(Number);
    if (!widths.length || widths.some((w) => !Number.isInteger(w))) {
      onError(`${setting.label}: write whole numbers separated by commas, e.g. 64, 64 (got “${input.value}”)`);
      return;
    }
    commit(widths);
  });
  wrap.append(input);
  return { element: wrap, sync: (value) => (input.value = value.join(", ")) };
}

function rateSelect(setting, commit) {
  return createWidget({ ...setting, choices: RATES }, commit, { formatChoice: (v) => String(v) });
}

/** createControls(root, {onChange(changes), onError(text)}) -> {setSchema(schema), setConfig(config)} */
export function createControls(root, { onChange, onError }) {
  const widgets = {};

  function widgetFor(setting) {
    const commit = (value) => onChange({ [setting.name]: value });
    if (setting.type === "layers") return layersInput(setting, commit, onError);
    if (setting.name.endsWith("lr") || setting.name === "learning_rate") return rateSelect(setting, commit);
    const formatChoice = setting.name === "model" ? (m) => MODEL_NAMES[m] || m : String;
    return createWidget(setting, commit, { testId: TEST_IDS[setting.name], formatChoice });
  }

  function setSchema(schema) {
    root.replaceChildren();
    for (const setting of schema.settings) {
      const widget = widgetFor(setting);
      if (!widget) continue;
      const extra = GROUP_CLASS[setting.group];
      if (extra) widget.element.classList.add(extra);
      if (setting.name === "gp_weight") widget.element.classList.add("wgan-only");
      root.append(widget.element);
      widgets[setting.name] = widget;
    }
  }

  function setConfig(config) {
    for (const [name, widget] of Object.entries(widgets)) {
      if (config[name] !== undefined) widget.sync(config[name]);
    }
  }

  return { setSchema, setConfig };
}
