// The classroom on a lab's own page (the sequence and generative labs): a room opened from the page, or
// joined by its link (?room=CODE), switches the run the page shows between the teacher's, watched
// read-only, and one's own fork. The playground mounts installClassroom itself (it hides controls too).

import { installClassroom } from "./index.js";

/**
 * `lab`: the page's lab; `store` and `stream`: the page's; `socketUrl(sessionId)`: the lab's socket of a
 * run; `reset()`: forget what the last run drew (charts, its frame) before another is shown;
 * `showError(message)`: the page's error line ("" clears it). Returns installClassroom's handle.
 */
export function mountLabClassroom({ lab, store, stream, socketUrl, reset, showError }) {
  const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
  const showRun = (run) => {
    reset();
    if (run.sessionId) {
      store.set({ sessionId: run.sessionId, readOnly: false });
      stream.setUrl(socketUrl(run.sessionId));
    } else {
      store.set({ readOnly: true });
      stream.setUrl(run.watchUrl);
    }
  };
  return installClassroom({
    container: byTestId("classroom"),
    store,
    showRun,
    hideControls: () => {},
    showControls: () => {},
    notify: showError,
    clearNotify: () => showError(""),
    announce: (title, text = "") => {
      byTestId("notice").textContent = `${title} ${text}`.trim();
    },
    lab,
  });
}
