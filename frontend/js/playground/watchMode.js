// Watching someone's run (?watch=<id>): every frame arrives, nothing that would change the run
// can be used, and a banner says so, with a link to start one's own run from the same settings.

import { linkTo, pageQuery } from "./urlState.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

// What reaches the server: made inert (the view options, panels and sharing stay usable).
const CONTROLS = [
  ".run-buttons",
  "[data-testid=run-settings]",
  "[data-testid=toolbar-settings]",
  "[data-testid=presets-control]",
  ".data-panel",
  "[data-testid=layer-editor]",
  "[data-testid=toolbox]",
  "[data-testid=own-data]",
  ".keep-weights",
];

/** A watcher sees everything and changes nothing: the controls that reach the server are inert. */
export function enterReadOnly(schema, store) {
  document.body.classList.add("read-only");
  const banner = byTestId("watch-banner");
  banner.hidden = false;
  for (const selector of CONTROLS) {
    for (const element of document.querySelectorAll(selector)) element.inert = true;
  }
  const ownCopy = byTestId("watch-own-copy");
  const syncLink = () => {
    ownCopy.href = linkTo(pageQuery(schema, { config: store.get().config, view: store.get().view }));
  };
  store.subscribe((state, changed) => {
    if (changed.has("config")) syncLink();
  });
  syncLink();
}
