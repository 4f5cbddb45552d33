// The notice under the toolbar: what just happened to the run and what to look at. A fresh run
// (the server started over after a change of data or network) names its reason; a lesson shows
// its description and what to look for. Dismissable; replaced by the next notice.

/**
 * Binds `elements` {box, title, text, lookFor, dismiss, anchor} to `store.get().notice`
 * ({kind, title, text, whilePaused, after, lookFor} or null): `whilePaused` (what to do next) shows
 * only while the run is not training. `anchor` (the run controls above the notice) is scrolled
 * into view with a fresh-run notice that is out of sight.
 */
export function bindNotice(store, elements) {
  elements.dismiss.addEventListener("click", () => store.set({ notice: null }));
  function render(state) {
    const notice = state.notice;
    elements.box.hidden = !notice;
    if (!notice) return;
    const running = ["training", "compiling"].includes(state.runState);
    const parts = [notice.text, running ? "" : notice.whilePaused, notice.after];
    const text = parts.filter(Boolean).join(" ");
    elements.box.dataset.kind = notice.kind;
    elements.title.textContent = notice.title;
    if (elements.text.textContent !== text) elements.text.textContent = text;
    elements.lookFor.textContent = notice.lookFor ? `Look for: ${notice.lookFor}` : "";
    elements.lookFor.hidden = !notice.lookFor;
  }
  store.subscribe((state, changed) => {
    if (changed.has("runState") && !changed.has("notice")) render(state);
    if (!changed.has("notice")) return;
    render(state);
    // A fresh run is paused at epoch 0: on a phone the change was made far down the page, so bring
    // the notice and the play button above it into view.
    if (state.notice?.kind === "fresh-run") {
      const box = elements.box.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) {
        (elements.anchor || elements.box).scrollIntoView({ block: "start" });
      }
    }
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

/** The notice for a lesson just loaded. */
export function presetNotice(preset) {
  return {
    kind: "preset",
    title: `Lesson: ${preset.label || preset.name}`,
    text: preset.description || "",
    lookFor: preset.look_for || "",
  };
}
