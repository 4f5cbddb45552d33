// The data sets as thumbnails, grouped by problem type: a sketch of each shape, the selected one
// drawn from the real data once it arrives.

import { withConsistentLoss } from "../core/settings.js";
import { attachHelp } from "../core/tooltip.js";
import { createToggleButton } from "../core/widgets.js";
import { drawPointsThumbnail, sketchClasses, sketchPoints } from "./previews.js";

const THUMBNAIL_PX = 64;
const PROBLEM_TITLES = { classification: "Classification", regression: "Regression", any: "Your own" };

/**
 * Builds the thumbnails into `slot` for the `dataset` setting; a click sends the data set (and
 * its problem type and a fitting loss) through `onConfigure`. Returns sync(state, changed).
 */
export function createDatasetPicker({ schema, store, setting, slot, onConfigure, register, settingNames }) {
  const byProblem = new Map();
  for (const dataset of schema.datasets) {
    if (!byProblem.has(dataset.problem)) byProblem.set(dataset.problem, []);
    byProblem.get(dataset.problem).push(dataset);
  }
  const thumbnails = new Map(); // name -> {toggle, canvas, problem}
  // A data set for any problem (e.g. the person's own points) keeps the current problem type.
  const problems = schema.settings.find((s) => s.name === "problem")?.choices || [];
  for (const [problem, datasets] of byProblem) {
    const group = document.createElement("div");
    group.className = "dataset-group";
    const heading = document.createElement("span");
    heading.className = "dataset-group-label";
    heading.id = `datasets-${problem}`;
    heading.textContent = PROBLEM_TITLES[problem] || "Other";
    const grid = document.createElement("div");
    grid.className = "dataset-grid";
    grid.setAttribute("role", "group");
    grid.setAttribute("aria-labelledby", heading.id);
    group.append(heading, grid);
    slot.append(group);
    for (const dataset of datasets) {
      const text = dataset.label || dataset.name;
      const toggle = createToggleButton({
        testId: `dataset-${dataset.name}`,
        text: "",
        onClick: () => {
          const changes = { [setting.name]: dataset.name };
          if (problems.includes(dataset.problem)) changes.problem = dataset.problem;
          onConfigure(withConsistentLoss(schema, store.get().config, changes));
        },
      });
      toggle.element.classList.add("dataset-button", `problem-${dataset.problem}`);
      const canvas = document.createElement("canvas");
      canvas.width = THUMBNAIL_PX;
      canvas.height = THUMBNAIL_PX;
      canvas.setAttribute("aria-hidden", "true");
      const caption = document.createElement("span");
      caption.className = "dataset-label";
      caption.textContent = text;
      toggle.element.append(canvas, caption);
      toggle.element.setAttribute("aria-label", `${text} (${dataset.problem})`);
      grid.append(toggle.element);
      attachHelp(toggle.element, setting.help);
      thumbnails.set(dataset.name, {
        toggle,
        canvas,
        problem: dataset.problem,
        multi: dataset.classes === "multi",
      });
      drawSketch(dataset.name);
    }
  }
  register([...settingNames(setting), "datasets"], slot);

  function drawSketch(name) {
    const { canvas, problem } = thumbnails.get(name);
    const points = sketchPoints(name);
    drawPointsThumbnail(canvas, points ? [points] : [], {
      domain: schema.grid?.domain,
      classes: sketchClasses(name, problem),
    });
    // The person's own data is drawn from its points once selected; a data set newer than
    // this page's sketches likewise.
    if (!points) drawGlyph(canvas, name === "custom" ? "✎" : "?");
  }

  let drawnFromData = null; // the thumbnail currently showing real data
  return function sync(state, changed) {
    const selected = state.config[setting.name];
    for (const [name, { toggle }] of thumbnails) toggle.sync(selected === name);
    if (changed && !changed.has("data") && !changed.has("config")) return;
    const data = state.data;
    const entry = thumbnails.get(selected);
    if (drawnFromData && drawnFromData !== selected) {
      drawSketch(drawnFromData);
      drawnFromData = null;
    }
    // The data message and the config message can arrive in either order: draw only a match.
    const sameKind = (data?.classes > 2) === entry?.multi;
    const sameProblem =
      data && entry && (data.problem === entry.problem || !problems.includes(entry.problem));
    if (sameKind && sameProblem) {
      drawPointsThumbnail(
        entry.canvas,
        [
          { xs: data.trainX, ys: data.trainY },
          { xs: data.testX, ys: data.testY },
        ],
        { domain: schema.grid?.domain, classes: data.classes },
      );
      drawnFromData = selected;
    }
  };
}

function drawGlyph(canvas, glyph) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#9aa0a6";
  ctx.font = `${Math.round(canvas.width / 2)}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(glyph, canvas.width / 2, canvas.height / 2);
}
