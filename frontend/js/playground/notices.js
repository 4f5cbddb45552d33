// The notice over the page: what just happened to the run, one notice at a time (the newest wins;
// an error, shown in the same place, goes first). It floats over the bottom of the page, so it never
// pushes the map away, and it goes by itself when it stops being true: a fresh run's "new weights,
// epoch 0" once the run has trained past epoch 0, a passing message (a push, a restored run) after
// its time. Dismissable at any time.

const PASSING_MS = 8000;

/**
 * Binds `elements` {box, title, text, dismiss} to `store.get().notice`: {kind, title, text,
 * whilePaused, after, ms} or null. `whilePaused` (what to do next) shows only while the run is not
 * training; kind "fresh-run" ends when the epoch passes 0; `ms` (or PASSING_MS for kind "passing")
 * ends the notice after that long.
 */
export function bindNotice(store, elements) {
  let timer = null;
  elements.dismiss.addEventListener("click", () => store.set({ notice: null }));

  function render(state) {
    const notice = state.notice;
    elements.box.hidden = !notice;
    if (!notice) return;
    const running = ["training", "compiling"].includes(state.runState);
    const text = [notice.text, running ? "" : notice.whilePaused, notice.after].filter(Boolean).join(" ");
    elements.box.dataset.kind = notice.kind;
    elements.title.textContent = notice.title;
    if (elements.text.textContent !== text) elements.text.textContent = text;
  }

  function expire(state) {
    const notice = state.notice;
    if (notice?.kind === "fresh-run" && state.epoch > 0) store.set({ notice: null });
  }

  function schedule(notice) {
    clearTimeout(timer);
    const ms = notice?.ms ?? (notice?.kind === "passing" ? PASSING_MS : 0);
    if (!ms) return;
    timer = setTimeout(() => {
      if (store.get().notice === notice) store.set({ notice: null });
    }, ms);
  }

  store.subscribe((state, changed) => {
    if (changed.has("notice")) {
      schedule(state.notice);
      render(state);
    } else if (changed.has("runState")) render(state);
    if (changed.has("epoch")) expire(state);
  });
  render(store.get());
}

/**
 * The notice for a fresh run the server started, from its `config` message's reason. The server
 * pauses a fresh run (as TF Playground does): the notice says to press play. A watcher is not
 * offered the owner's choice.
 */
export function freshRunNotice(reason, readOnly = false) {
  const text = reason ? reason.charAt(0).toUpperCase() + reason.slice(1) : "The run started over";
  return {
    kind: "fresh-run",
    title: `${text.replace(/[.:]\s*$/, "")}.`,
    text: "New weights, epoch 0, the charts start over (as in TensorFlow Playground).",
    whilePaused: readOnly ? "" : "Press ▶ to train.",
    after: readOnly
      ? ""
      : 'To keep training the weights you had instead, tick "Keep the weights on changes" under the network.',
  };
}

/** A message that is true for a moment (a push arrived, a run was restored): it goes by itself. */
export function passingNotice(title, text = "", ms = PASSING_MS) {
  return { kind: "passing", title, text, ms };
}
