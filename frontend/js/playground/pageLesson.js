// The one-click lesson the learner chose (schema.presets): its text stays on the page, whatever they
// change (the lesson asks them to change things), until they leave it: "Leave the lesson", or another
// choice in the lesson menu. Its name is in the store (`lesson`) and so in the address bar.

/**
 * Binds `elements` {card, title, text, lookFor, leave} to `store.get().lesson` (a preset's name or
 * null); `presets` is schema.presets.
 */
export function bindPageLesson(store, presets, elements) {
  elements.leave.addEventListener("click", () => store.set({ lesson: null }));
  function render(state) {
    const preset = presets.find((p) => p.name === state.lesson) || null;
    elements.card.hidden = !preset;
    if (!preset) return;
    elements.title.textContent = preset.label || preset.name;
    elements.text.textContent = preset.description || "";
    elements.lookFor.textContent = preset.look_for ? `Look for: ${preset.look_for}` : "";
    elements.lookFor.hidden = !preset.look_for;
  }
  store.subscribe((state, changed) => {
    if (changed.has("lesson")) render(state);
  });
  render(store.get());
}
