// The teacher's side of a room: the room code and QR code, pushes (every run afresh, or every run
// continuing), the one lesson menu, the challenge, locks, presenter mode, and the dashboard of student
// tiles (spotlight one on the big screen, remove one).

import { actionButton, el } from "./dom.js";
import { createLockPicker } from "./locks.js";
import { createTiles } from "./tiles.js";

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

function roomHead(room, dialog, onCloseRoom, onError) {
  const presenter = el("button", {
    testId: "presenter-mode",
    text: "Presenter mode",
    attrs: { type: "button", "aria-pressed": "false" },
  });
  presenter.addEventListener("click", () => {
    const on = document.body.classList.toggle("presenter");
    presenter.setAttribute("aria-pressed", String(on));
    window.dispatchEvent(new Event("resize")); // views that size themselves measure again
  });
  const showQr = el("button", { testId: "show-qr", text: "Show QR code", attrs: { type: "button" } });
  showQr.addEventListener("click", () => dialog.showModal());
  return el("div", { className: "room-head" }, [
    el("span", { className: "room-label", text: "Room" }),
    el("strong", { className: "room-code", testId: "room-code", text: room.code }),
    el("span", { className: "join-url", text: `join at ${room.join_url}` }),
    showQr,
    presenter,
    closeRoomButton(room, onCloseRoom, onError),
  ]);
}

/** The one lesson menu on the teacher's screen (the page's own lesson menu is hidden in a room). */
function lessonControls(lessons, api, onError) {
  const select = el("select", { testId: "lesson-select", attrs: { id: "lesson-select" } });
  select.append(el("option", { text: "Choose a lesson…", attrs: { value: "" } }));
  for (const lesson of lessons) {
    select.append(el("option", { text: lesson.title, attrs: { value: lesson.id } }));
  }
  // A lesson chosen but not yet started starts at its first step; otherwise the next step.
  const next = actionButton(
    "Next step",
    "lesson-next",
    () => {
      const starting = select.value && select.dataset.started !== select.value;
      return api("lesson-next", starting ? { lesson_id: select.value } : {});
    },
    onError,
  );
  select.addEventListener("change", () => delete select.dataset.started);
  const label = el("label", {
    className: "visually-hidden",
    text: "Lesson",
    attrs: { for: "lesson-select" },
  });
  const show = (lesson) => {
    if (!lesson) return;
    select.value = lesson.id;
    select.dataset.started = lesson.id;
  };
  return { elements: [label, select, next], show };
}

/** Push my settings, to every run afresh (new weights, epoch 0) or to every run continuing its weights. */
function pushControls(api, onError, onPushed) {
  const mode = el("select", { testId: "push-mode", attrs: { id: "push-mode" } }, [
    el("option", { text: "and start every run afresh", attrs: { value: "fresh" } }),
    el("option", { text: "and keep every run's weights", attrs: { value: "continue" } }),
  ]);
  const push = actionButton(
    "Push my settings",
    "push-config",
    async () => onPushed(await api("push-config", { keep_weights: mode.value === "continue" })),
    onError,
  );
  const label = el("label", {
    className: "visually-hidden",
    text: "How to push",
    attrs: { for: "push-mode" },
  });
  return el("span", { className: "push-group" }, [push, label, mode]);
}

/**
 * `room`: {code, join_url, qr_svg, session_id}; `schema`: the settings table (labels); `api(action,
 * body)` runs a teacher action; `onSpotlight(tile | null)` shows a student's run (or the teacher's
 * again); `onPushed(report)` tells what a push did; `onCloseRoom()` ends the room. Returns {element,
 * onRoom(view), onTiles(tiles), showQr()}.
 */
export function createTeacherPanel({
  room,
  lessons,
  schema,
  api,
  onSpotlight,
  onPushed,
  onCloseRoom,
  onError,
}) {
  const dialog = qrDialog(room);
  const lesson = lessonControls(lessons, api, onError);
  const locks = createLockPicker(schema, (controls) => api("lock", { controls }), onError);
  const actions = el("div", { className: "room-actions" }, [
    pushControls(api, onError, onPushed),
    actionButton("Reset all", "reset-all", () => api("reset-all"), onError),
    ...lesson.elements,
    // The lab's own challenge (its data set and target); a lab without one shows no button.
    ...(room.challenge_label
      ? [actionButton(`Challenge: ${room.challenge_label}`, "challenge", () => api("challenge", {}), onError)]
      : []),
    locks.element,
  ]);

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
    el("option", { text: `by ${room.score_label || "test loss"}`, attrs: { value: "loss" } }),
  ]);
  const grid = el("div", { className: "tiles", testId: "tiles" });
  const tiles = createTiles(
    grid,
    sort,
    {
      spotlight: (tile) => onSpotlight(tile),
      remove: (tile) => api("remove", { member_id: tile.id }).catch((error) => onError(error.message)),
    },
    schema,
  );
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
    roomHead(room, dialog, onCloseRoom, onError),
    actions,
    spotlightBar,
    leaderboard,
    dashboard,
    dialog,
  ]);

  function onRoom(view) {
    const away = view.students.filter((s) => s.present === false).length;
    const awayText = away ? ` (${away} away)` : "";
    count.textContent = `${view.students.length} of ${view.capacity} students${awayText}`;
    lesson.show(view.lesson);
    locks.show(view.locked);
    const spot = view.spotlight;
    spotlightBar.hidden = !spot.member_id;
    spotlightName.textContent = spot.member_id ? `Spotlight: ${spot.name}'s run (read-only) ` : "";
    leaderboard.replaceChildren(
      ...view.leaderboard.map((entry) =>
        el("li", {
          text: `${entry.name}: ${entry.neurons} neurons, epoch ${entry.epoch}${entry.via === "sweep" ? " (a sweep)" : ""}`,
        }),
      ),
    );
    leaderboard.hidden = !view.challenge;
    if (view.challenge) {
      leaderboard.setAttribute(
        "aria-label",
        view.challenge.label
          ? `Leaderboard: ${view.challenge.label}`
          : `Leaderboard: test loss below ${view.challenge.target_loss} on ${view.challenge.dataset}`,
      );
    }
  }

  return { element, onRoom, onTiles: tiles.update, showQr: () => dialog.showModal() };
}
