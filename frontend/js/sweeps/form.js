// The sweep's settings form: what every run shares, the settings to vary (one row each), seeds, the
// search (grid or random), epochs and the stop rule. It reads into the request POST /api/sweeps takes;
// the server reads the typed values by the same rules as `nnplay sweep` (experiments/parse.py).

const NOT_VARIED = new Set(["seed", "speed", "stop_epoch"]); // the sweep sets these itself
const LIST_TYPES = new Set(["features", "layers", "choice_list", "float_list"]);
const FIRST_VALUES = {
  playground: { learning_rate: "0.003, 0.01, 0.03, 0.1", hidden_layers: "4 / 8 / 8,8", batch_size: "5, 10, 20" },
  sequences: { learning_rate: "0.001, 0.003, 0.01, 0.03", model: "rnn, gru, lstm", width: "8, 16, 32", batch_size: "16, 32, 64" },
  images: { learning_rate: "0.001, 0.003, 0.01", batch_size: "16, 32, 64", optimizer: "sgd, momentum, adam" },
  generative: { generator_lr: "0.0001, 0.0003, 0.001", discriminator_lr: "0.0001, 0.0003, 0.001", d_steps: "1, 2, 5", learning_rate: "0.001, 0.003, 0.01", beta: "0.5, 1, 2" },
};
// What "+ Add a setting" offers next, in order, per lab.
const NEXT_SETTINGS = {
  playground: ["regularization_rate", "batch_size", "activation", "hidden_layers"],
  sequences: ["width", "learning_rate", "layers", "batch_size"],
  images: ["batch_size", "optimizer", "augment_shift", "weight_decay"],
  generative: ["discriminator_lr", "d_steps", "loss", "noise_dim"],
};
// The settings a sweep's first row varies, per lab; and the epochs (steps) it trains for at first.
const FIRST_SETTING = { playground: "learning_rate", sequences: "model", images: "learning_rate", generative: "generator_lr" };
const FIRST_EPOCHS = { playground: 300, sequences: 300, images: 3, generative: 1000 };
const DEFAULT_BASE = { dataset: "spiral", features: ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"], hidden_layers: [8, 8, 8] };
// The settings every run shares that "Every run" shows, per lab (the others keep their defaults; the
// image lab's layer stack is its default).
const LAB_BASE = {
  sequences: ["task", "length", "model", "width", "layers"],
  images: ["optimizer", "batch_size", "train_ratio"],
  generative: ["model", "dataset", "loss", "generator_layers", "discriminator_layers", "encoder_layers"],
};

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

function labelled(text, control) {
  return el("label", {}, el("span", { textContent: text }), control);
}

/** The values a row starts with when a setting is picked. */
function firstValues(setting, lab) {
  if (FIRST_VALUES[lab][setting.name]) return FIRST_VALUES[lab][setting.name];
  if (setting.type === "choice") return (setting.choices || []).slice(0, 3).join(", ");
  if (setting.type === "bool") return "true, false";
  if (setting.choices && setting.choices.length) return setting.choices.slice(2, 5).join(", ");
  return String(setting.default);
}

function buildFixed(container, schema) {
  const datasets = schema.datasets.filter((d) => d.name !== "custom");
  const dataset = el("select", { name: "dataset" });
  dataset.dataset.testid = "sweep-dataset";
  for (const d of datasets) dataset.append(el("option", { value: d.name, textContent: d.label }));
  dataset.value = DEFAULT_BASE.dataset;
  const features = el("div", { className: "sweep-features", role: "group" });
  features.setAttribute("aria-label", "Input features");
  for (const f of schema.features) {
    const box = el("input", { type: "checkbox", value: f.name, checked: DEFAULT_BASE.features.includes(f.name) });
    box.dataset.testid = `sweep-feature-${f.name}`;
    features.append(el("label", { className: "inline" }, box, el("span", { textContent: f.label })));
  }
  const layers = el("input", { name: "hidden_layers", value: DEFAULT_BASE.hidden_layers.join(","), autocomplete: "off" });
  layers.dataset.testid = "sweep-hidden-layers";
  container.append(labelled("Data set", dataset), el("div", { className: "sweep-feature-row" }, el("span", { textContent: "Features" }), features), labelled("Hidden layers (neurons per layer)", layers));
  return {
    controls: { dataset, hidden_layers: layers, features },
    read() {
      const chosen = [...features.querySelectorAll("input:checked")].map((b) => b.value);
      const hidden = layers.value.split(",").map((v) => v.trim()).filter(Boolean).map(Number);
      return { dataset: dataset.value, features: chosen, hidden_layers: hidden };
    },
  };
}

/** A lab's shared settings (`names`): a menu for each choice, a number box for each number. */
function buildLabFixed(container, schema, names) {
  const controls = names.map((name) => schema.settings.find((s) => s.name === name)).filter(Boolean).map((setting) => {
    const layers = setting.type === "layers"; // widths of hidden layers, written "64, 64"
    const control =
      setting.type === "choice"
        ? el("select", { name: setting.name })
        : layers
          ? el("input", { type: "text", name: setting.name, autocomplete: "off", spellcheck: false })
          : el("input", { type: "number", name: setting.name, min: setting.min, max: setting.max, step: setting.step || 1 });
    if (setting.type === "choice") {
      // a sweep trains on the data sets, never on one's own points
      for (const choice of setting.choices.filter((c) => c !== "custom")) control.append(el("option", { value: choice, textContent: setting.name === "task" ? schema.tasks?.[choice]?.label ?? choice : choice }));
    }
    control.value = layers ? setting.default.join(", ") : String(setting.default);
    control.dataset.testid = `sweep-base-${setting.name}`;
    control.title = setting.help;
    container.append(labelled(setting.label, control));
    return { setting, control };
  });
  return {
    controls: Object.fromEntries(controls.map(({ setting, control }) => [setting.name, control])),
    read() {
      const value = ({ setting, control }) => {
        if (setting.type === "choice") return control.value;
        if (setting.type === "layers") return control.value.split(",").map((w) => w.trim()).filter(Boolean).map(Number);
        return Number(control.value);
      };
      return Object.fromEntries(controls.map((c) => [c.setting.name, value(c)]));
    },
  };
}

// The generative lab's settings of the model not chosen are hidden (a GAN has no encoder, an autoencoder
// no data set of points), and a first varied setting of the other model follows the choice: the
// generator's rate for a GAN, the autoencoder's for an AE or VAE.
const MODEL_GROUPS = { gan: "gan", data: "gan", autoencoder: "autoencoder" };
function followModel(fixed, schema, rows) {
  const model = fixed.controls.model;
  const groupOf = (name) => MODEL_GROUPS[schema.settings.find((s) => s.name === name)?.group];
  const show = () => {
    const own = model.value === "gan" ? "gan" : "autoencoder";
    for (const [name, control] of Object.entries(fixed.controls)) {
      const group = groupOf(name);
      if (group) control.closest("label").hidden = group !== own;
    }
    const first = rows[0];
    const group = first && groupOf(first.name.value);
    if (group && group !== own) {
      first.name.value = own === "gan" ? "generator_lr" : "learning_rate";
      first.name.dispatchEvent(new Event("change"));
    }
  };
  model.addEventListener("change", show);
  show();
}

function buildAxisRow(settings, lab, onChange, onRemove) {
  const name = el("select");
  for (const s of settings) name.append(el("option", { value: s.name, textContent: s.label }));
  const values = el("input", { autocomplete: "off", spellcheck: false });
  const remove = el("button", { type: "button", textContent: "✕", title: "Do not vary this setting" });
  remove.setAttribute("aria-label", "Remove this setting");
  const row = el("div", { className: "sweep-axis" }, labelled("Setting", name), labelled("Values", values), remove);
  name.addEventListener("change", () => {
    values.value = firstValues(settings.find((s) => s.name === name.value), lab);
    onChange();
  });
  values.addEventListener("input", onChange);
  remove.addEventListener("click", () => onRemove(row));
  return { row, name, values, remove };
}

function countValues(setting, text) {
  if (!setting) return 0;
  if (!LIST_TYPES.has(setting.type) && text.includes("..")) {
    const [lo, hi] = text.split("..").map(Number);
    return setting.type === "int" && Number.isFinite(lo) && Number.isFinite(hi) ? Math.max(0, Math.floor(hi) - Math.ceil(lo) + 1) : NaN;
  }
  return text.split(LIST_TYPES.has(setting.type) ? "/" : ",").filter((p) => p.trim() || LIST_TYPES.has(setting.type)).length;
}

/** How many seeds a typed list names (1-8, 1,2,5), or NaN. */
export function countSeeds(text) {
  let n = 0;
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const bounds = part.includes("..") ? part.split("..") : part.split("-");
    if (bounds.some((b) => !/^\d+$/.test(b.trim()))) return NaN;
    n += bounds.length === 2 ? Math.max(0, Number(bounds[1]) - Number(bounds[0]) + 1) : 1;
  }
  return n;
}

/**
 * Builds the form in `root` from the lab's settings schema (`lab`: "playground" or "sequences"); returns
 * {read, count, setRunning, onSubmit}.
 */
export function createSweepForm(root, schema, lab = "playground") {
  const form = root.querySelector("form");
  const settings = schema.settings.filter((s) => !NOT_VARIED.has(s.name));
  const where = root.querySelector(".sweep-fixed");
  const fixed = lab === "playground" ? buildFixed(where, schema) : buildLabFixed(where, schema, LAB_BASE[lab]);
  if (lab !== "playground") {
    // the other labs' runs stop at their epochs (steps): they have no loss-based stop rules
    root.querySelector("[data-testid=sweep-stop-rule]").closest("label").hidden = true;
    root.querySelector("[data-testid=sweep-list-hint]").hidden = true;
  }
  const epochsName = { sequences: "Steps", generative: "Steps (GAN) or epochs (AE, VAE)" }[lab];
  if (epochsName) root.querySelector("[data-testid=sweep-epochs-name]").textContent = epochsName;
  root.querySelector("[data-testid=sweep-epochs]").value = String(FIRST_EPOCHS[lab]);
  const axesBox = root.querySelector("[data-testid=sweep-axes]");
  const field = (id) => root.querySelector(`[data-testid=${id}]`);
  const rows = [];
  const update = () => {
    rows.forEach((r, i) => {
      r.row.dataset.testid = `sweep-axis-${i}`;
      r.name.dataset.testid = `sweep-axis-name-${i}`;
      r.values.dataset.testid = `sweep-axis-values-${i}`;
      r.remove.dataset.testid = `sweep-axis-remove-${i}`;
    });
    // a setting varied below is not one every run shares: its control here is off, and says so
    const varied = new Set(rows.map((r) => r.name.value));
    for (const [name, control] of Object.entries(fixed.controls)) {
      const off = varied.has(name);
      for (const input of control.matches("input, select") ? [control] : control.querySelectorAll("input")) input.disabled = off;
      control.closest("label, .sweep-feature-row").classList.toggle("varied", off);
      if (off) control.setAttribute("aria-description", "varied below");
      else control.removeAttribute("aria-description");
    }
    const random = field("sweep-mode").value === "random";
    field("sweep-samples-label").hidden = !random;
    const stop = field("sweep-stop-rule").value;
    field("sweep-stop-value-label").hidden = stop === "epochs";
    field("sweep-stop-value-name").textContent = stop === "early" ? "Patience (epochs)" : "Training loss";
    field("sweep-count").textContent = describeCount();
  };
  const addRow = (settingName) => {
    const r = buildAxisRow(settings, lab, update, (row) => {
      rows.splice(rows.findIndex((x) => x.row === row), 1);
      row.remove();
      update();
    });
    r.name.value = settingName;
    r.values.value = firstValues(settings.find((s) => s.name === settingName), lab);
    rows.push(r);
    axesBox.append(r.row);
    update();
    return r;
  };
  const describeCount = () => {
    const seeds = countSeeds(field("sweep-seeds").value);
    const random = field("sweep-mode").value === "random";
    const per = random
      ? Number(field("sweep-samples").value)
      : rows.reduce((n, r) => n * countValues(settings.find((s) => s.name === r.name.value), r.values.value), 1);
    const total = per * seeds;
    if (!Number.isFinite(total)) return "";
    const what = random ? `${per} draws` : `${per} setting${per === 1 ? "" : "s"}`;
    return `${what} × ${seeds} seed${seeds === 1 ? "" : "s"} = ${total} run${total === 1 ? "" : "s"}`;
  };
  field("sweep-add-setting").addEventListener("click", () => {
    const used = new Set(rows.map((r) => r.name.value));
    const next = NEXT_SETTINGS[lab].map((name) => settings.find((s) => s.name === name)).find((s) => s && !used.has(s.name));
    addRow((next || settings[0]).name).name.focus();
  });
  for (const id of ["sweep-seeds", "sweep-samples", "sweep-mode", "sweep-stop-rule"]) {
    field(id).addEventListener("input", update);
    field(id).addEventListener("change", update);
  }
  addRow(FIRST_SETTING[lab]);
  if (lab === "generative") followModel(fixed, schema, rows);

  return {
    read() {
      const base = fixed.read();
      const vary = rows.map((r) => ({ name: r.name.value, text: r.values.value }));
      for (const axis of vary) delete base[axis.name];
      const stop = field("sweep-stop-rule").value;
      const value = Number(field("sweep-stop-value").value);
      if (stop === "loss") base.stop_loss = value;
      if (stop === "early") Object.assign(base, { early_stopping: "on", patience: Math.round(value) });
      const random = field("sweep-mode").value === "random";
      return {
        lab,
        base,
        vary,
        seeds: field("sweep-seeds").value,
        epochs: Number(field("sweep-epochs").value),
        mode: random ? "random" : "grid",
        samples: random ? Number(field("sweep-samples").value) : 0,
      };
    },
    setRunning(running) {
      field("sweep-start").disabled = running;
      field("sweep-stop").disabled = !running;
    },
    onSubmit(handler) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        handler();
      });
    },
    onStop(handler) {
      field("sweep-stop").addEventListener("click", handler);
    },
  };
}
