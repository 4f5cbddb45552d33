// The teacher's side of a room: the room code and QR code, pushes, lessons, the challenge, presenter
// mode, and the dashboard of student tiles (spotlight one on the big screen, remove one).

import { actionButton, el } from "./dom.js";
import { createTiles } from "./tiles.js";

function lessonSelect(lessons) {
  const select = el("select", { testId: "lesson-select", attrs: { id: "lesson-select" } });
  select.append(el("option", { text: "Choose a lesson…", attrs: { value: "" } }));
  for (const lesson of lessons) {
    select.append(el("option", { text: lesson.title, attrs: { value: lesson.id } }));
  }
  return select;
}

function qrDialog(room) {
  const figure = el("div", {
    className: "qr-image",
    attrs: { role: "img", "aria-label": `QR code of ${room.join_url}` },
  });
  // The SVG comes from our own server (segno), not from anyone's input.
  figure.innerHTML = room.qr_svg;
  const close = el("button", { testId: "qr-close", text: "Close", attrs: { type: "button" } });
  const dialog = el("dialog", { className: "qr-dialog", testId: "qr" }, [
    el("p", { className: "qr-code-text", text: room.code }),
    figure,
    el("p", { className: "qr-url", text: room.join_url }),
    close,
  ]);
  close.addEventListener("click", () => dialog.close());
  return dialog;
}

/** "Close room": asks first, since it ends the room for every student. */
function closeRoomButton(room, onCloseRoom, onError) {
  const ask = async () => {
    const question = `Close room ${room.code}? Every student leaves it and their runs are deleted.`;
    if (window.confirm(question)) await onCloseRoom();
  };
  return actionButton("Close room", "close-room", ask, onError);
}

/**
 * `room`: {code, join_url, qr_svg, session_id}; `api(action, body)` runs a teacher action;
 * `onSpotlight(tile | null)` shows a student's run (or the teacher's again); `onCloseRoom()` ends the
 * room. Returns {element, onRoom(view), onTiles(tiles)}.
 */
export function createTeacherPanel({ room, lessons, api, onSpotlight, onCloseRoom, onError }) {
  const dialog = qrDialog(room);
  const presenter = el("button", {
    testId: "presenter-mode",
    text: "Presenter mode",
    attrs: { type: "button", "aria-pressed": "false" },
  });
  presenter.addEventListener("click", () => {
    const on = document.body.classList.toggle("presenter");
    presenter.setAttribute("aria-pressed", String(on));
  });
  const showQr = el("button", { testId: "show-qr", text: "Show QR code", attrs: { type: "button" } });
  showQr.addEventListener("click", () => dialog.showModal());
  const head = el("div", { className: "room-head" }, [
    el("span", { className: "room-label", text: "Room" }),
    el("strong", { className: "room-code", testId: "room-code", text: room.code }),
    el("span", { className: "join-url", text: `join at ${room.join_url}` }),
    showQr,
    presenter,
    closeRoomButton(room, onCloseRoom, onError),
  ]);

  const select = lessonSelect(lessons);
  // A lesson chosen but not yet started starts at its first step; otherwise the next step.
  const nextStep = () => {
    const starting = select.value && select.dataset.started !== select.value;
    return api("lesson-next", starting ? { lesson_id: select.value } : {});
  };
  const lessonNext = actionButton("Next step", "lesson-next", nextStep, onError);
  select.addEventListener("change", () => delete select.dataset.started);
  const actions = el("div", { className: "room-actions" }, [
    actionButton("Push my settings", "push-config", () => api("push-config", {}), onError),
    actionButton("Reset all", "reset-all", () => api("reset-all"), onError),
    el("label", { className: "visually-hidden", text: "Lesson", attrs: { for: "lesson-select" } }),
    select,
    lessonNext,
    actionButton("Challenge: spiral, test loss < 0.05", "challenge", () =>
      api("challenge", { dataset: "spiral", target_loss: 0.05 }), onError),
  ]);

  const lockInput = el("input", {
    testId: "lock-controls",
    attrs: { id: "lock-controls", placeholder: "e.g. learning-rate, presets", spellcheck: "false" },
  });
  const lockNames = () =>
    lockInput.value
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
  actions.append(
    el("span", { className: "lock-group" }, [
      el("label", { text: "Lock for students", attrs: { for: "lock-controls" } }),
      lockInput,
      actionButton("Lock", "lock", () => api("lock", { controls: lockNames() }), onError),
    ]),
  );

  const leaderboard = el("ol", {
    className: "leaderboard",
    testId: "leaderboard",
    attrs: { "aria-label": "Leaderboard" },
  });
  const spotlightName = el("span");
  const spotlightEnd = el("button", {
    testId: "spotlight-end",
    text: "Back to my run",
    attrs: { type: "button" },
  });
  spotlightEnd.addEventListener("click", () => onSpotlight(null));
  const spotlightBar = el(
    "p",
    { className: "spotlight-bar", testId: "spotlight-bar", attrs: { hidden: "" } },
    [spotlightName, spotlightEnd],
  );

  const sort = el("select", { testId: "tile-sort", attrs: { id: "tile-sort" } }, [
    el("option", { text: "in joining order", attrs: { value: "joined" } }),
    el("option", { text: "by test loss", attrs: { value: "loss" } }),
  ]);
  const grid = el("div", { className: "tiles", testId: "tiles" });
  const tiles = createTiles(grid, sort, {
    spotlight: (tile) => onSpotlight(tile),
    remove: (tile) => api("remove", { member_id: tile.id }).catch((error) => onError(error.message)),
  });
  const count = el("span", { className: "student-count", testId: "student-count", text: "0 students" });
  const dashboard = el("section", { className: "dashboard", attrs: { "aria-label": "Students" } }, [
    el("div", { className: "dashboard-head" }, [
      count,
      el("label", { text: "Sort ", attrs: { for: "tile-sort" } }),
      sort,
    ]),
    grid,
  ]);

  const element = el("div", { className: "classroom-room teacher" }, [
    head, actions, spotlightBar, leaderboard, dashboard, dialog,
  ]);

  function onRoom(view) {
    count.textContent = `${view.students.length} of ${view.capacity} students`;
    if (view.lesson) {
      select.value = view.lesson.id;
      select.dataset.started = view.lesson.id;
    }
    if (document.activeElement !== lockInput) lockInput.value = view.locked.join(", ");
    const spot = view.spotlight;
    spotlightBar.hidden = !spot.member_id;
    spotlightName.textContent = spot.member_id ? `Spotlight: ${spot.name}'s run (read-only) ` : "";
    leaderboard.replaceChildren(
      ...view.leaderboard.map((entry) =>
        el("li", { text: `${entry.name}: ${entry.neurons} neurons, epoch ${entry.epoch}` }),
      ),
    );
    leaderboard.hidden = !view.challenge;
    if (view.challenge) {
      leaderboard.setAttribute(
        "aria-label",
        `Leaderboard: test loss below ${view.challenge.target_loss} on ${view.challenge.dataset}`,
      );
    }
  }

  return { element, onRoom, onTiles: tiles.update, showQr: () => dialog.showModal() };
}
