// The notice under the toolbar: what just happened to the run and what to look at. A fresh run
// (the server started over after a change of data or network) names its reason; a lesson shows
// its description and what to look for. Dismissable; replaced by the next notice.

/**
 * Binds `elements` {box, title, text, lookFor, dismiss} to `store.get().notice`
 * ({kind, title, text, lookFor} or null).
 */
export function bindNotice(store, elements) {
  elements.dismiss.addEventListener("click", () => store.set({ notice: null }));
  function render(notice) {
    elements.box.hidden = !notice;
    if (!notice) return;
    elements.box.dataset.kind = notice.kind;
    elements.title.textContent = notice.title;
    elements.text.textContent = notice.text || "";
    elements.lookFor.textContent = notice.lookFor ? `Look for: ${notice.lookFor}` : "";
    elements.lookFor.hidden = !notice.lookFor;
  }
  store.subscribe((state, changed) => {
    if (changed.has("notice")) render(state.notice);
  });
  render(store.get().notice);
}

/** The notice for a fresh run the server started, from its `config` message's reason. */
export function freshRunNotice(reason) {
  const text = reason ? reason.charAt(0).toUpperCase() + reason.slice(1) : "The run started over";
  return {
    kind: "fresh-run",
    title: `${text.replace(/[.:]\s*$/, "")}.`,
    text:
      "New weights from the seed, epoch 0, the charts start over, as in TensorFlow Playground. " +
      'To carry on training the weights you had, tick "Keep the weights on changes" (Network panel).',
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
