// The sweep page: a form to start a sweep, its progress over a websocket (/ws/sweeps/<id>: only what is
// new arrives), and its views: parallel coordinates, spread over seeds, small multiples and the table.
// The sweep's id is kept per tab (sessionStorage), so a reload, or coming back from a run opened in
// the playground, shows the sweep again.

import { sweepReportUrl } from "../core/runsApi.js";
import { loadMembership } from "../classroom/membership.js";
import {
  enterChallenge,
  getSchema,
  getSweep,
  openRun,
  problemText,
  showToClass,
  startSweep,
  stopSweep,
  sweepSocketUrl,
} from "./api.js";
import { createSweepForm } from "./form.js";
import { figureWords, learnLabels } from "./format.js";
import { createMultiples } from "./multiples.js";
import { createParcoords } from "./parcoords.js";
import { createRunTable, createSpreadTable } from "./table.js";

const SWEEP_KEY = "nnplay.sweep";
// The labs whose runs a sweep trains: their schema, their page, the key under which their page keeps the
// tab's session ("Open" hands it a run), and how the page names them and a run's picture.
const LABS = {
  playground: {
    schema: "/api/schema",
    page: "./",
    sessionKey: "nnplay.session", // playground/session.js
    back: "← playground",
    picture: "Decision map (orange −1, blue +1)",
  },
  sequences: {
    schema: "/api/sequences/schema",
    page: "./sequences.html",
    sessionKey: "nnplay-sequences-session", // sequences/main.js
    back: "← sequence lab",
    picture: "Hidden state (units × time)",
  },
  images: {
    schema: "/api/images/schema",
    page: "./images.html",
    sessionKey: null, // the image lab's page holds its session in its address (?session=)
    back: "← image lab",
    picture: "Confusion matrix (a row per true digit, blue: all of them)",
  },
  generative: {
    schema: "/api/generative/schema",
    page: "./generative.html",
    sessionKey: null, // the generative lab's page holds its session in its address (?session=)
    back: "← generative lab",
    picture: "Where the samples (GAN) or the test digits' codes (AE, VAE) lie (blue: the most)",
  },
};
const asked = new URLSearchParams(window.location.search).get("lab");
const LAB = Object.hasOwn(LABS, asked ?? "") ? asked : "playground";
const FINISHED = ["done", "stopped", "failed"];

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const page = byTestId("sweep");
let sweep = null; // the sweep as this page knows it (histories merged from the socket's messages)
let socket = null;
let drawPending = false;

function showError(text) {
  byTestId("error").textContent = text || "";
}

function remember(key, value) {
  try {
    if (value) window.sessionStorage.setItem(key, value);
    else window.sessionStorage.removeItem(key);
  } catch {
    // storage can be disabled: the page then forgets its sweep on reload
  }
}

function decode(base64) {
  const raw = atob(base64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Merge a message (the whole sweep, with only what is new of each run's history and picture). */
function merge(message) {
  const known = new Map((sweep && sweep.id === message.id ? sweep.runs : []).map((r) => [r.index, r]));
  const runs = message.runs.map((run) => {
    const old = known.get(run.index);
    const kept = old && old.history_version === run.history_version ? old.history.slice(0, run.history_from) : [];
    const history = kept.concat(run.history);
    const bytes = run.thumbnail ? decode(run.thumbnail) : old?.bytes ?? null;
    return { ...run, history, bytes, thumbnail_version: run.thumbnail ? run.thumbnail_version : old?.thumbnail_version ?? -1 };
  });
  sweep = { ...message, runs };
}

const views = {
  parcoords: createParcoords(byTestId("sweep-parcoords")),
  spread: createSpreadTable(byTestId("sweep-spread")),
  multiples: createMultiples(byTestId("sweep-grid"), (index) => openInLab(index), LABS[LAB].picture.split(" (")[0].toLowerCase()),
  table: createRunTable(byTestId("sweep-table")),
};

function describeStatus(s) {
  const seconds = s.wall_s === null ? "" : ` in ${s.wall_s.toFixed(1)} s`;
  if (s.status === "running" || s.status === "starting") {
    const epochs = s.runs.reduce((n, r) => n + r.epoch, 0);
    return `training ${s.run_count} runs together: ${s.finished_runs} finished, ${epochs.toLocaleString()} ${s.unit}s so far`;
  }
  if (s.status === "stopping") return "stopping…";
  return `${s.status}: ${s.finished_runs} of ${s.run_count} runs${seconds}`;
}

function draw() {
  drawPending = false;
  if (!sweep) return;
  views.multiples.update(sweep);
  views.table.update(sweep);
  views.spread.update(sweep);
  views.parcoords.update(sweep);
  byTestId("sweep-ranked-by").textContent = byTestId("sweep-colour-by").textContent = figureWords(sweep).test_loss;
  byTestId("sweep-status").textContent = describeStatus(sweep);
  const report = byTestId("sweep-report");
  report.href = sweepReportUrl(sweep.id);
  report.title = "one HTML file of this sweep's figures, tables and curves; it opens offline";
  report.hidden = false;
  showClass.hidden = !teacher;
  enter.hidden = !student;
  page.dataset.status = sweep.status;
  page.dataset.updates = String(Number(page.dataset.updates || 0) + 1); // frames drawn: bench/browser tests
  form.setRunning(!FINISHED.includes(sweep.status));
}

function show(message) {
  merge(message);
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(draw);
  }
}

function follow(id) {
  if (socket) socket.close();
  socket = new WebSocket(sweepSocketUrl(id));
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "sweep") show(message);
    else if (message.type === "error") showError(message.message);
  });
}

async function start() {
  showError("");
  form.setRunning(true);
  byTestId("sweep-status").textContent = "starting: making the runs and compiling what they share…";
  try {
    const first = await startSweep(form.read());
    sweep = null;
    remember(SWEEP_KEY, first.id);
    show(first);
    follow(first.id);
  } catch (error) {
    form.setRunning(false);
    byTestId("sweep-status").textContent = sweep ? describeStatus(sweep) : "no sweep yet";
    showError(`The sweep did not start: ${error.body ? problemText(error.body, error.status) : error.message}`);
  }
}

async function openInLab(index) {
  try {
    const session = await openRun(sweep.id, index);
    const lab = LABS[session.lab] ?? LABS.playground;
    if (lab.sessionKey) remember(lab.sessionKey, session.id);
    // the lab's page resumes the tab's session (or, the image lab's, the one its address names)
    window.location.assign(lab.sessionKey ? lab.page : `${lab.page}?session=${encodeURIComponent(session.id)}`);
  } catch (error) {
    showError(`Run ${index} could not be opened: ${error.body ? problemText(error.body, error.status) : error.message}`);
  }
}

const schema = await getSchema(LABS[LAB].schema);
learnLabels(schema);
const form = createSweepForm(byTestId("sweep-settings"), schema, LAB);
const back = byTestId("lab-playground");
back.textContent = LABS[LAB].back;
back.href = LABS[LAB].page;
byTestId("sweep-picture").textContent = LABS[LAB].picture;
page.dataset.lab = LAB;
form.onSubmit(start);
form.onStop(() => sweep && stopSweep(sweep.id).catch((error) => showError(error.message)));

// A teacher (this tab opened a room) shows the sweep on every page of the room: students get a link here.
const teacher = loadMembership()?.role === "teacher" ? loadMembership() : null;
const showClass = byTestId("sweep-show-class");
let shownId = null;
if (teacher) showClass.textContent = `Show to the class (room ${teacher.code})`;
showClass.addEventListener("click", async () => {
  const next = shownId === sweep.id ? null : sweep.id;
  try {
    const shown = await showToClass(teacher.code, teacher.key, next);
    shownId = shown ? shown.id : null;
    showClass.textContent = shownId ? "Stop showing it to the class" : `Show to the class (room ${teacher.code})`;
    showClass.setAttribute("aria-pressed", String(Boolean(shownId)));
  } catch (error) {
    showError(`The class could not be shown the sweep: ${error.message}`);
  }
});

// A student (this tab joined a room) enters the sweep in the room's challenge: its runs count as their own.
const student = loadMembership()?.role === "student" ? loadMembership() : null;
const enter = byTestId("sweep-enter-challenge");
const entered = byTestId("sweep-entered");
if (student) enter.textContent = `Enter it in the challenge (room ${student.code})`;
enter.addEventListener("click", async () => {
  try {
    const answer = await enterChallenge(student.code, student.token, sweep.id);
    const place = answer.leaderboard.find((entry) => entry.id === student.memberId);
    entered.textContent = place
      ? `Entered. You are number ${place.rank} on the leaderboard: ${place.neurons} neurons.`
      : "Entered. Its runs count as yours: the smallest that meets the target ranks you.";
    showError("");
  } catch (error) {
    entered.textContent = "";
    showError(`The sweep could not be entered: ${error.message}`);
  }
});

// ?sweep=<id> (a link from a room) follows that sweep; else this tab's last one.
let remembered = new URLSearchParams(window.location.search).get("sweep");
try {
  remembered = remembered || window.sessionStorage.getItem(SWEEP_KEY);
} catch {
  // storage can be disabled: only the link's sweep is followed
}
if (remembered) {
  const known = await getSweep(remembered).catch(() => null);
  if (known) {
    show(known);
    follow(known.id);
  } else remember(SWEEP_KEY, null);
}
page.dataset.ready = "true";
