// The teacher's dashboard: one tile per student (decision-map thumbnail, epoch, test loss or the lab's own
// figure, what differs from the teacher's settings in the settings' own words, whether they are here or
// away), sortable by loss; a tile's buttons spotlight or remove its student.

import { BYTE_TO_RGBA, paintGrid } from "../core/palette.js";
import { settingText } from "./words.js";

const LOSS_DIGITS = 3;

function formatLoss(loss) {
  return loss === null || loss === undefined ? "—" : loss.toFixed(LOSS_DIGITS);
}

function button(text, testId, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.dataset.testid = testId;
  element.addEventListener("click", onClick);
  return element;
}

function drawThumbnail(canvas, tile) {
  const size = tile.grid_size || 20;
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext("2d");
  const image = context.createImageData(size, size);
  paintGrid(image, new Uint8Array(tile.grid), 0, size, BYTE_TO_RGBA);
  context.putImageData(image, 0, 0);
}

function buildTile(actions) {
  const article = document.createElement("article");
  article.className = "student-tile";
  article.dataset.testid = "student-tile";
  const canvas = document.createElement("canvas");
  canvas.className = "tile-map";
  canvas.setAttribute("role", "img");
  const name = document.createElement("h4");
  name.className = "tile-name";
  const presence = document.createElement("span");
  presence.className = "tile-presence";
  presence.dataset.testid = "tile-presence";
  const numbers = document.createElement("p");
  numbers.className = "tile-numbers";
  const diff = document.createElement("p");
  diff.className = "tile-diff";
  const spotlight = button("Spotlight", "spotlight", () => actions.spotlight(article.tile));
  const remove = button("Remove", "remove-student", () => actions.remove(article.tile));
  const buttons = document.createElement("div");
  buttons.className = "tile-buttons";
  buttons.append(spotlight, remove);
  article.append(canvas, name, presence, numbers, diff, buttons);
  return { article, canvas, name, presence, numbers, diff, spotlight, remove };
}

function fillTile(parts, tile, schema) {
  parts.article.tile = tile;
  parts.article.dataset.state = tile.state;
  parts.article.dataset.present = String(tile.present !== false);
  parts.presence.textContent = tile.present === false ? "away" : "";
  parts.canvas.setAttribute("aria-label", `decision map of ${tile.name}'s run`);
  if (tile.grid) drawThumbnail(parts.canvas, tile);
  parts.canvas.hidden = !tile.grid;
  parts.name.textContent = tile.name; // names are shown as text, never as markup
  parts.numbers.textContent =
    tile.mode === "watching"
      ? "watching the teacher"
      : `epoch ${tile.epoch ?? 0} · ${tile.figure ?? `test loss ${formatLoss(tile.test_loss)}`} · ${tile.state}`;
  parts.diff.textContent = (tile.diff || []).map((d) => settingText(schema, d.name, d.value)).join(" · ");
  parts.spotlight.disabled = !tile.watch_id;
  parts.spotlight.setAttribute("aria-label", `Show ${tile.name}'s run on the big screen`);
  parts.remove.setAttribute("aria-label", `Remove ${tile.name} from the room`);
}

function sortTiles(tiles, order) {
  if (order !== "loss") return tiles;
  // a lab's own figure where it has one (a GAN's share of bad samples), else the test loss; lower first
  const loss = (t) => t.score ?? t.test_loss ?? Infinity;
  return [...tiles].sort((a, b) => loss(a) - loss(b));
}

/** Renders tiles into `container`; returns {update(tiles)}. `actions`: {spotlight(tile), remove(tile)};
 * `schema` names the settings. Tiles are kept by student and updated in place, so focus and hover survive
 * the once-a-second update. */
export function createTiles(container, sortSelect, actions, schema) {
  const byId = new Map();
  const empty = document.createElement("p");
  empty.className = "tiles-empty";
  empty.textContent = "No students yet: they join with the room code.";
  let last = [];
  function update(tiles) {
    last = tiles;
    const present = new Set(tiles.map((t) => t.id));
    for (const [id, parts] of byId) {
      if (!present.has(id)) {
        parts.article.remove();
        byId.delete(id);
      }
    }
    const ordered = sortTiles(tiles, sortSelect.value).map((tile) => {
      if (!byId.has(tile.id)) byId.set(tile.id, buildTile(actions));
      const parts = byId.get(tile.id);
      fillTile(parts, tile, schema);
      return parts.article;
    });
    const wanted = ordered.length ? ordered : [empty];
    const current = Array.from(container.children);
    if (wanted.length !== current.length || wanted.some((el, i) => current[i] !== el)) {
      container.replaceChildren(...wanted);
    }
  }
  sortSelect.addEventListener("change", () => update(last));
  update([]);
  return { update };
}
