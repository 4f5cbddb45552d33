// Classroom mode on the playground page: teach (this run becomes a room) or join one by code; then
// the room's websocket feeds the lesson card, the spotlight and (for the teacher) the student tiles.
// The page's run is switched through `showRun` (main.js): a session it drives, or a watch link it
// only watches, read-only. A student's page proves its member token on the room socket, so the
// teacher sees them as present while it is open and away once it closes.

import { ApiError } from "../core/api.js";
import { createStream } from "../core/stream.js";
import { roomsApi, roomUrl, watchUrl } from "./api.js";
import { el } from "./dom.js";
import { createEntry } from "./entry.js";
import { renderLesson } from "./lessonCard.js";
import { knownMembership, knownMemberships, loadMembership, saveMembership } from "./membership.js";
import { pushReport, pushedToMe } from "./pushes.js";
import { createStudentPanel } from "./student.js";
import { createTeacherPanel } from "./teacher.js";

// While the page only watches a run, these parts of the page cannot be used.
const READ_ONLY_PARTS = [".toolbar", ".data-panel", ".network-panel", ".own-data", ".divergence"];
// In a room the room's lesson is the lesson: the page's own lesson menu is put away.
const ROOM_HIDES = ["presets"];

/**
 * `container`: the classroom section of the page; `store`: the page's store (readOnly, sessionId,
 * schema); `showRun({sessionId} | {watchUrl})`; `hideControls(names)` hides controls as the hide=
 * parameter does, `showControls(names)` shows them again; `notify(message)` shows an error line,
 * `clearNotify()` takes back the class's last one after an action that worked; `announce(title, text,
 * ms?)` says something that is true for a moment; `lab`: the page's lab ("playground" if left out: a
 * room whose run is in another lab is followed on that lab's page, where this module is mounted too).
 * Returns {handleFatalClose() -> bool}.
 */
export function installClassroom(page) {
  const { container, store, showRun, hideControls, showControls, notify } = page;
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
  const slot = el("div", { className: "classroom-slot" });
  container.replaceChildren(slot, banner, lessonCard);

  let socket = null;
  let recover = null; // finds this page's run in the room again after the server lost it (a restart)

  store.subscribe((state, changed) => {
    if (!changed.has("readOnly")) return;
    for (const selector of READ_ONLY_PARTS) {
      for (const part of document.querySelectorAll(selector)) part.inert = Boolean(state.readOnly);
    }
    document.body.classList.toggle("read-only", Boolean(state.readOnly));
    banner.hidden = !state.readOnly;
  });

  // An action that worked: the class's last error (from an earlier try) is no longer true.
  const succeeded = (promise) => promise.then((value) => (page.clearNotify(), value));

  function watch(url, label) {
    banner.textContent = label;
    showRun({ watchUrl: url });
  }

  function drive(sessionId) {
    const { sessionId: current, readOnly } = store.get();
    if (sessionId === current && !readOnly) return; // already driving it: keep its charts
    showRun({ sessionId });
  }

  function enterRoom() {
    hideControls(ROOM_HIDES);
    store.set({ lesson: null }); // the page's own one-click lesson gives way to the room's
    document.body.classList.add("in-room");
  }

  function connectRoom(code, auth, handlers) {
    if (socket) socket.close();
    let connectedBefore = false;
    socket = createStream({
      url: roomUrl(code),
      onMessage: (message) => {
        if (message.type === "room") {
          renderLesson(lessonCard, message.lesson);
          handlers.onRoom(message);
        } else if (message.type === "tiles") handlers.onTiles?.(message.tiles);
        else if (message.type === "pushed") handlers.onPushed?.(message);
        else if (message.type === "removed") handlers.onRemoved?.(message.member_id);
        else if (message.type === "closed" && !handlers.closing?.()) {
          leaveRoom(`Room ${code} is closed: ${message.message}.`, code);
        }
        else if (message.type === "error") notify(message.message);
      },
      onConnection: (state) => {
        if (state !== "connected") return;
        socket.send({ type: "auth", ...auth }); // the teacher's key, or a student's token (present)
        // Back after a drop (e.g. a server restart): the room's runs may have new ids now.
        if (connectedBefore) handleFatalClose();
        connectedBefore = true;
      },
      onFatalClose: () => notify(`Room ${code} no longer exists.`),
    });
  }

  function leaveRoom(message, code) {
    if (socket) socket.close();
    socket = null;
    saveMembership(null, code);
    recover = null;
    renderLesson(lessonCard, null);
    document.body.classList.remove("in-room", "presenter");
    showControls(ROOM_HIDES);
    drive(pageSessionId);
    showEntry("");
    if (message) page.announce(message);
  }

  function sayRestored(response) {
    // It stays longer than a passing notice: the page may have been looked away from during the restart.
    const note = response?.restore_note;
    if (note) page.announce("Your run after the server's restart:", note, 30_000);
  }

  // ---- teacher ----------------------------------------------------------------------------------

  async function becomeTeacher(room, key, allLessons) {
    if (elsewhere(room, { role: "teacher", code: room.code, key })) return;
    saveMembership({ role: "teacher", code: room.code, key });
    const lessons = allLessons.filter((lesson) => (lesson.lab || "playground") === (room.lab || "playground"));
    enterRoom();
    const teacherRun = room.session_id;
    if (teacherRun !== store.get().sessionId) drive(teacherRun);
    sayRestored(room);
    const act = (action, body) => succeeded(roomsApi.act(room.code, key, action, body));
    let closing = false; // this page is closing the room
    const panel = createTeacherPanel({
      room,
      lessons,
      schema: store.get().schema,
      api: act,
      onError: notify,
      onCloseRoom: async () => {
        closing = true; // the room's own "closed" message may come first: this page says it in its words
        try {
          await roomsApi.close(room.code, key);
        } catch (error) {
          closing = false;
          throw error;
        }
        leaveRoom(`You closed room ${room.code}.`, room.code);
      },
      onPushed: (report) => page.announce(...pushReport(report)),
      onSpotlight: async (tile) => {
        await act("spotlight", { member_id: tile ? tile.id : "" });
        if (tile) {
          const label = `Spotlight: ${tile.name}'s run. It is theirs, so it is read-only here.`;
          watch(watchUrl(tile.watch_id), label);
        } else drive(teacherRun);
      },
    });
    slot.replaceChildren(panel.element);
    recover = async () => {
      const again = await roomsApi.teacher(room.code, key);
      drive(again.session_id);
      sayRestored(again);
    };
    connectRoom(
      room.code,
      { teacher_key: key },
      { onRoom: panel.onRoom, onTiles: panel.onTiles, closing: () => closing },
    );
    return panel;
  }

  async function teach() {
    const [room, lessons] = await Promise.all([roomsApi.create(store.get().sessionId), roomsApi.lessons()]);
    const panel = await becomeTeacher(room, room.teacher_key, lessons);
    panel?.showQr();
  }

  // ---- student ----------------------------------------------------------------------------------

  function watchTeacher(watchId) {
    watch(
      watchUrl(watchId),
      "You are watching the teacher's run: the controls are read-only. " +
        "Press \u201cTry it yourself\u201d to train your own copy.",
    );
  }

  /** A room whose run is in another lab is followed on that lab's page: go there (it rejoins). */
  function elsewhere(answer, membership) {
    const lab = page.lab || "playground";
    if (!answer.lab || answer.lab === lab || !answer.page) return false;
    saveMembership(membership);
    window.location.assign(`${answer.page}?room=${encodeURIComponent(membership.code)}`);
    return true;
  }

  function becomeStudent(membership, me) {
    const { code, token } = membership;
    if (elsewhere(me, membership)) return;
    saveMembership(membership);
    enterRoom();
    const student = createStudentPanel({
      code,
      name: membership.name,
      memberId: membership.memberId,
      sweepable: me.lab === "playground", // sweeps train the playground's runs
      onError: notify,
      onFork: async () => {
        const { session_id: sessionId } = await succeeded(roomsApi.fork(code, token));
        student.setMode("forked");
        drive(sessionId);
      },
      onWatch: async () => {
        const { watch_id: watchId } = await succeeded(roomsApi.watch(code, token));
        student.setMode("watching");
        watchTeacher(watchId);
      },
      onLeave: async () => {
        await roomsApi.leave(code, token);
        leaveRoom(`You left room ${code}; your name is free again.`, code);
      },
    });
    slot.replaceChildren(student.element);
    const follow = (state) => {
      student.setMode(state.mode);
      if (state.mode === "forked" && state.session_id) drive(state.session_id);
      else watchTeacher(state.watch_id);
      sayRestored(state);
    };
    follow(me);
    recover = async () => follow(await roomsApi.me(code, token));
    const locked = new Set(); // controls this page hid because the teacher locked them
    connectRoom(code, { member_token: token }, {
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
      onPushed: (message) => {
        const said = pushedToMe(message, membership.memberId, student.mode());
        if (said) page.announce(...said);
      },
      onRemoved: (memberId) => {
        if (memberId === membership.memberId) leaveRoom("The teacher removed you from the room.", code);
      },
    });
  }

  async function join(code, name) {
    const normalized = code.toUpperCase().replace(/[\s-]/g, "");
    // The same person in this browser, back after closing the tab: their place, not a "name taken".
    const known = knownMembership(normalized);
    if (known && known.role === "student" && known.name.toLowerCase() === name.trim().toLowerCase()) {
      await resume(known);
      return;
    }
    const joined = await roomsApi.join(code, name);
    const membership = {
      role: "student",
      code: normalized,
      token: joined.member_token,
      memberId: joined.member_id,
      name: joined.name,
    };
    becomeStudent(membership, { mode: "watching", watch_id: joined.watch_id, lab: joined.lab, page: joined.page });
  }

  // ---- the way in, and resuming after a reload ---------------------------------------------------

  function showEntry(code) {
    const entry = createEntry({
      onTeach: teach,
      onJoin: join,
      onRejoin: resume,
      onError: notify,
      code,
      known: knownMemberships(),
    });
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
        saveMembership(null, saved.code);
        showEntry("");
        notify(`You are no longer in room ${saved.code}: ${error.message}`);
      } else throw error;
    }
  }

  const linkCode = (new URLSearchParams(window.location.search).get("room") || "").toUpperCase();
  const saved = loadMembership();
  const back = saved && (!linkCode || linkCode === saved.code) ? saved : knownMembership(linkCode);
  if (back) resume(back).catch((error) => notify(`Could not rejoin the room: ${error.message}`));
  else showEntry(linkCode);

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
