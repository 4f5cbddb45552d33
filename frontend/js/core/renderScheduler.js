// Shares the page's time between many small views that follow the frames (the insight
// panel's tables and charts). Frames arrive ~30 times a second; a view is redrawn at most
// every MIN_INTERVAL_MS while it is on screen (every OFF_SCREEN_INTERVAL_MS while scrolled
// away), one view at a time, spaced so that all of them together take at most about
// 1/SHARE_OF_TIME of the main thread while frames stream in: the heat maps and the network
// diagram keep their frame rate. Once the frames stop (paused), what is left is drawn at once.

const MIN_INTERVAL_MS = 250; // at most 4 redraws a second per view
const OFF_SCREEN_INTERVAL_MS = 2000;
const SHARE_OF_TIME = 10;
const MAX_GAP_MS = 1000;
const STREAM_QUIET_MS = 300; // no invalidation for this long: the frames have stopped

/**
 * Creates a scheduler. `isActive()` says whether anything should be drawn at all (e.g. the
 * panel is open). Returns {add(element, render, {watchVisibility}), poke()}; `add` returns
 * {invalidate()}. `render()` returns false when it could not draw yet (the view waits for
 * the next invalidate or poke). A view whose element is not displayed is not drawn either.
 */
export function createRenderScheduler({ isActive = () => true } = {}) {
  const views = [];
  let timer = null;
  let quietUntil = 0; // no view is drawn before this time while streaming (the last draw's budget)
  let lastInvalidatedAt = -Infinity;

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const view = views.find((v) => v.element === entry.target);
      if (view) view.onScreen = entry.isIntersecting;
    }
    schedule();
  });

  const interval = (view) => (view.onScreen ? MIN_INTERVAL_MS : OFF_SCREEN_INTERVAL_MS);

  function schedule() {
    if (timer !== null || !isActive()) return;
    const waiting = views.filter((v) => v.dirty);
    if (waiting.length === 0) return;
    const now = performance.now();
    const ownTurn = Math.min(...waiting.map((v) => v.drawnAt + interval(v)));
    const streaming = now - lastInvalidatedAt < STREAM_QUIET_MS;
    timer = setTimeout(tick, Math.max(0, Math.max(streaming ? quietUntil : 0, ownTurn) - now));
  }

  function tick() {
    timer = null;
    if (!isActive()) return;
    const now = performance.now();
    // Of the views whose turn it is, one on screen first, then the one that waited longest.
    let due = null;
    for (const view of views) {
      if (!view.dirty || now - view.drawnAt < interval(view)) continue;
      const better = !due || view.onScreen > due.onScreen;
      if (better || (view.onScreen === due.onScreen && view.drawnAt < due.drawnAt)) due = view;
    }
    if (due) {
      due.dirty = false;
      // Not displayed (a hidden card, an unused chart): Plotly cannot size a chart there.
      const shown = due.element.offsetWidth > 0;
      const drawn = shown && due.render() !== false;
      const cost = performance.now() - now;
      if (drawn) due.drawnAt = now;
      else due.stalled = true;
      quietUntil = performance.now() + Math.min(MAX_GAP_MS, cost * (SHARE_OF_TIME - 1));
    }
    schedule();
  }

  return {
    /** Registers a view drawn into `element`; by default it is drawn less often while off screen. */
    add(element, render, { watchVisibility = true } = {}) {
      const view = { element, render, dirty: false, onScreen: !watchVisibility, drawnAt: -Infinity };
      views.push(view);
      if (watchVisibility) observer.observe(element);
      return {
        invalidate() {
          lastInvalidatedAt = performance.now();
          view.dirty = true;
          view.stalled = false;
          schedule();
        },
      };
    },
    /** Draws what is waiting: after the panel opens, or once a view that stalled can draw. */
    poke() {
      for (const view of views) {
        if (view.stalled) {
          view.stalled = false;
          view.dirty = true;
        }
      }
      schedule();
    },
  };
}

/**
 * Returns request(): however often it is called, `draw` runs once, on the next animation frame.
 * The heat maps and the network diagram redraw through it at the display's rate.
 */
export function drawOnNextFrame(draw) {
  let pending = false;
  return function request() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  };
}
