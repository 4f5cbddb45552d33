// Training settings of the image lab (optimizer, learning rate, batch size, data split, augmentation).
// Each change is sent as a `configure` message; the server's `config` message sets what is shown.

const LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
const BATCH_SIZES = [8, 16, 32, 64, 128, 256];
const TRAIN_RATIOS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const AUGMENTATIONS = [
  ["augment_shift", "shift by a pixel"],
  ["augment_rotation", "rotate up to 15°"],
  ["augment_noise", "add noise"],
];

/** createSettingsPanel(root, {onChange(changes)}) -> {setSchema(schema), setConfig(config)} */
export function createSettingsPanel(root, { onChange }) {
  const controls = {};

  function select(name, label, values, format = String) {
    const id = `setting-${name}`;
    const wrap = document.createElement("label");
    wrap.className = "setting";
    wrap.htmlFor = id;
    wrap.append(label);
    const control = document.createElement("select");
    control.id = id;
    control.dataset.testid = id.replace(/_/g, "-");
    control.append(...values.map((v) => new Option(format(v), String(v))));
    control.addEventListener("change", () => {
      const raw = control.value;
      onChange({ [name]: typeof values[0] === "number" ? Number(raw) : raw });
    });
    wrap.append(control);
    root.append(wrap);
    controls[name] = control;
  }

  function setSchema(schema) {
    root.replaceChildren();
    select("optimizer", "Optimizer", schema.optimizers);
    select("learning_rate", "Learning rate", LEARNING_RATES);
    select("batch_size", "Batch size", BATCH_SIZES);
    select("train_ratio", "Training share", TRAIN_RATIOS, (v) => `${Math.round(v * 100)}%`);
    const seedId = "setting-seed";
    const seedLabel = document.createElement("label");
    seedLabel.className = "setting";
    seedLabel.htmlFor = seedId;
    seedLabel.append("Seed");
    const seed = document.createElement("input");
    Object.assign(seed, { type: "number", id: seedId, min: 0, max: schema.ranges.seed.max, step: 1 });
    seed.dataset.testid = "setting-seed";
    seed.addEventListener("change", () => onChange({ seed: Number(seed.value) }));
    seedLabel.append(seed);
    root.append(seedLabel);
    controls.seed = seed;
    const group = document.createElement("fieldset");
    group.className = "augment";
    const legend = document.createElement("legend");
    legend.textContent = "Augmentation";
    group.append(legend);
    for (const [name, text] of AUGMENTATIONS) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.dataset.testid = name.replace(/_/g, "-");
      box.addEventListener("change", () => onChange({ [name]: box.checked }));
      label.append(box, ` ${text}`);
      group.append(label);
      controls[name] = box;
    }
    root.append(group);
  }

  function setConfig(config) {
    for (const [name, control] of Object.entries(controls)) {
      if (control.type === "checkbox") control.checked = Boolean(config[name]);
      else {
        const value = String(config[name]);
        if (control.tagName === "SELECT" && ![...control.options].some((o) => o.value === value)) {
          control.append(new Option(value, value));
        }
        control.value = value;
      }
    }
  }

  return { setSchema, setConfig };
}
