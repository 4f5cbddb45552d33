// Classroom mode on the playground page: teach (this run becomes a room) or join one by code; then
// the room's websocket feeds the lesson card, the spotlight and (for the teacher) the student tiles.
// The page's run is switched through `showRun` (main.js): a session it drives, or a watch link it
// only watches, read-only.

import { ApiError } from "../core/api.js";
import { createStream } from "../core/stream.js";
import { roomsApi, roomUrl, watchUrl } from "./api.js";
import { el } from "./dom.js";
import { createEntry } from "./entry.js";
import { renderLesson } from "./lessonCard.js";
import { loadMembership, saveMembership } from "./membership.js";
import { createStudentPanel } from "./student.js";
import { createTeacherPanel } from "./teacher.js";

// While the page only watches a run, these parts of the page cannot be used.
const READ_ONLY_PARTS = [
  ".toolbar",
  ".presets-bar",
  ".data-panel",
  ".network-panel",
  ".training-panel",
  ".own-data",
  ".divergence",
];

/**
 * `container`: the classroom section of the page; `store`: the page's store (readOnly, sessionId);
 * `showRun({sessionId} | {watchUrl})`; `hideControls(names)` hides controls as the hide= parameter does,
 * `showControls(names)` shows them again (the teacher unlocked them); `notify(message)` shows an error
 * line. Returns {handleFatalClose(code) -> bool}.
 */
export function installClassroom({ container, store, showRun, hideControls, showControls, notify }) {
  const pageSessionId = store.get().sessionId;
  const banner = el("p", {
    className: "watch-banner",
    testId: "room-banner",
    attrs: { role: "status", hidden: "" },
  });
  const lessonCard = el("section", {
    className: "lesson-card",
    testId: "lesson",
    attrs: { "aria-label": "Lesson", hidden: "" },
  });
  const notice = el("p", {
    className: "classroom-notice",
    testId: "classroom-notice",
    attrs: { "aria-live": "polite" },
  });
  const slot = el("div", { className: "classroom-slot" });
  container.replaceChildren(slot, banner, notice, lessonCard);

  let socket = null;
  let panel = null;
  let recover = null; // finds this page's run in the room again after the server lost it (a restart)

  store.subscribe((state, changed) => {
    if (!changed.has("readOnly")) return;
    for (const selector of READ_ONLY_PARTS) {
      for (const part of document.querySelectorAll(selector)) part.inert = Boolean(state.readOnly);
    }
    document.body.classList.toggle("read-only", Boolean(state.readOnly));
    banner.hidden = !state.readOnly;
  });

  function watch(url, label) {
    banner.textContent = label;
    showRun({ watchUrl: url });
  }

  function drive(sessionId) {
    const { sessionId: current, readOnly } = store.get();
    if (sessionId === current && !readOnly) return; // already driving it: keep its charts
    showRun({ sessionId });
  }

  function connectRoom(code, teacherKey, handlers) {
    if (socket) socket.close();
    let connectedBefore = false;
    socket = createStream({
      url: roomUrl(code),
      onMessage: (message) => {
        if (message.type === "room") {
          renderLesson(lessonCard, message.lesson);
          handlers.onRoom(message);
        } else if (message.type === "tiles") handlers.onTiles?.(message.tiles);
        else if (message.type === "pushed") {
          notice.textContent = teacherKey
            ? `Pushed your settings to ${message.students} student runs.`
            : "The teacher pushed new settings to the class.";
        }
        else if (message.type === "removed") handlers.onRemoved?.(message.member_id);
        else if (message.type === "closed") leaveRoom(`Room ${code} is closed: ${message.message}.`);
        else if (message.type === "error") notify(message.message);
      },
      onConnection: (state) => {
        if (state !== "connected") return;
        if (teacherKey) socket.send({ type: "auth", teacher_key: teacherKey });
        // Back after a drop (e.g. a server restart): the room's runs may have new ids now.
        if (connectedBefore) handleFatalClose();
        connectedBefore = true;
      },
      onFatalClose: () => notify(`Room ${code} no longer exists.`),
    });
  }

  function leaveRoom(message) {
    if (socket) socket.close();
    socket = null;
    saveMembership(null);
    recover = null;
    renderLesson(lessonCard, null);
    notice.textContent = message || "";
    drive(pageSessionId);
    showEntry("");
  }

  // ---- teacher ----------------------------------------------------------------------------------

  async function becomeTeacher(room, key, lessons) {
    saveMembership({ role: "teacher", code: room.code, key });
    const teacherRun = room.session_id;
    if (teacherRun !== store.get().sessionId) drive(teacherRun);
    const act = (action, body) => roomsApi.act(room.code, key, action, body);
    panel = createTeacherPanel({
      room,
      lessons,
      api: act,
      onError: notify,
      onCloseRoom: async () => {
        await roomsApi.close(room.code, key);
        leaveRoom(`You closed room ${room.code}.`);
      },
      onSpotlight: async (tile) => {
        await act("spotlight", { member_id: tile ? tile.id : "" });
        if (tile) {
          const label = `Spotlight: ${tile.name}'s run. It is theirs, so it is read-only here.`;
          watch(watchUrl(tile.watch_id), label);
        } else drive(teacherRun);
      },
    });
    slot.replaceChildren(panel.element);
    recover = async () => drive((await roomsApi.teacher(room.code, key)).session_id);
    connectRoom(room.code, key, { onRoom: panel.onRoom, onTiles: panel.onTiles });
  }

  async function teach() {
    const [room, lessons] = await Promise.all([roomsApi.create(store.get().sessionId), roomsApi.lessons()]);
    await becomeTeacher(room, room.teacher_key, lessons);
    panel.showQr();
  }

  // ---- student ----------------------------------------------------------------------------------

  function watchTeacher(watchId) {
    watch(
      watchUrl(watchId),
      "You are watching the teacher's run: the controls are read-only. " +
        "Press \u201cTry it yourself\u201d to train your own copy.",
    );
  }

  function becomeStudent(membership, me) {
    const { code, token } = membership;
    saveMembership(membership);
    const student = createStudentPanel({
      code,
      name: membership.name,
      onError: notify,
      onFork: async () => {
        const { session_id: sessionId } = await roomsApi.fork(code, token);
        student.setMode("forked");
        drive(sessionId);
      },
      onWatch: async () => {
        const { watch_id: watchId } = await roomsApi.watch(code, token);
        student.setMode("watching");
        watchTeacher(watchId);
      },
      onLeave: async () => leaveRoom(""),
    });
    panel = student;
    slot.replaceChildren(student.element);
    const follow = (state) => {
      student.setMode(state.mode);
      if (state.mode === "forked" && state.session_id) drive(state.session_id);
      else watchTeacher(state.watch_id);
    };
    follow(me);
    recover = async () => follow(await roomsApi.me(code, token));
    const locked = new Set(); // controls this page hid because the teacher locked them
    connectRoom(code, null, {
      onRoom: (view) => {
        student.onRoom(view);
        const newly = view.locked.filter((name) => !locked.has(name));
        if (newly.length) hideControls(newly);
        newly.forEach((name) => locked.add(name));
        const freed = [...locked].filter((name) => !view.locked.includes(name));
        if (freed.length) {
          showControls(freed);
          freed.forEach((name) => locked.delete(name));
        }
      },
      onRemoved: (memberId) => {
        if (memberId === membership.memberId) leaveRoom("The teacher removed you from the room.");
      },
    });
  }

  async function join(code, name) {
    const joined = await roomsApi.join(code, name);
    const normalized = code.toUpperCase().replace(/[\s-]/g, "");
    const membership = {
      role: "student",
      code: normalized,
      token: joined.member_token,
      memberId: joined.member_id,
      name: joined.name,
    };
    becomeStudent(membership, { mode: "watching", watch_id: joined.watch_id });
  }

  // ---- the way in, and resuming after a reload ---------------------------------------------------

  function showEntry(code) {
    panel = null;
    const entry = createEntry({ onTeach: teach, onJoin: join, onError: notify, code });
    slot.replaceChildren(entry.element);
  }

  async function resume(saved) {
    try {
      if (saved.role === "teacher") {
        const [room, lessons] = await Promise.all([
          roomsApi.teacher(saved.code, saved.key),
          roomsApi.lessons(),
        ]);
        await becomeTeacher(room, saved.key, lessons);
      } else {
        becomeStudent(saved, await roomsApi.me(saved.code, saved.token));
      }
    } catch (error) {
      if (error instanceof ApiError && [403, 404].includes(error.status)) {
        saveMembership(null);
        showEntry("");
        notify(`You are no longer in room ${saved.code}: ${error.message}`);
      } else throw error;
    }
  }

  const saved = loadMembership();
  const linkCode = new URLSearchParams(window.location.search).get("room") || "";
  if (saved && (!linkCode || linkCode.toUpperCase() === saved.code)) {
    resume(saved).catch((error) => notify(`Could not rejoin the room: ${error.message}`));
  } else showEntry(linkCode);

  /** The server no longer has the run this page shows (e.g. it restarted): find the room's run again. */
  function handleFatalClose() {
    if (!recover) return false;
    recover()
      .then(() => store.set({ error: null })) // the "no such session" the socket reported is dealt with
      .catch((error) => notify(`Could not find your run in the room again: ${error.message}`));
    return true;
  }

  return { handleFatalClose };
}
