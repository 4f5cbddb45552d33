// What the address bar holds: the settings (each under its url_key), the view options, which
// panels are open, the controls hidden for a class, and a watch id. Never the session id: that
// is the capability to drive a run, and a link is for sharing. A TF Playground hash
// (#activation=relu&...) is read once and rewritten into this form.

import { configFromQuery, queryHasConfig, writeConfigToQuery } from "../core/settings.js";
import { readTfpHash } from "./tfpLink.js";

/** Client-only view options, under TF Playground's names where it has one. */
export const VIEW_KEYS = ["showTestData", "discretize", "lossLogX", "keepWeights"];
/** Panels that open on demand; `open=` lists the open ones. */
export const PANELS = ["toolbox", "layers", "insights"];
const KEPT_KEYS = ["token", "room"]; // carried through every rewrite, never interpreted here (room: a join link)

function listParam(params, key) {
  return (params.get(key) || "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
}

/**
 * Reads the page's address. Returns {config, hasConfig, view, open, hide, watch, lesson, notices}:
 * a partial config, whether the link names settings at all, view options, open panels (a Set),
 * controls to hide, the watch id (or null), the one-click lesson the learner is in (or null) and
 * notices about what a TF Playground link could not carry over.
 */
export function readPageUrl(schema, location = window.location) {
  const params = new URLSearchParams(location.search);
  const config = configFromQuery(schema, params);
  const view = {};
  for (const key of VIEW_KEYS) if (params.has(key)) view[key] = params.get(key) === "true";
  const open = new Set(listParam(params, "open").filter((name) => PANELS.includes(name)));
  const hide = listParam(params, "hide");
  const notices = [];
  let hasConfig = queryHasConfig(schema, params);
  const tfp = readTfpHash(location.hash);
  if (tfp) {
    Object.assign(config, tfp.config);
    Object.assign(view, tfp.view);
    hide.push(...tfp.hide.filter((name) => !hide.includes(name)));
    if (tfp.notices.length) notices.push(`not carried over from the TensorFlow Playground link: ${tfp.notices.join(", ")}`);
    hasConfig = true;
  }
  const [watch, lesson] = [params.get("watch"), params.get("lesson")];
  return { config, hasConfig, view, open, hide, watch, lesson, notices };
}

/** The query for a page state, in a stable order: settings (table order), view, open, hide, lesson. */
export function pageQuery(
  schema,
  { config, view = {}, open = new Set(), hide = [], watch = null, lesson = null },
) {
  const params = new URLSearchParams();
  const current = new URLSearchParams(window.location.search);
  for (const key of KEPT_KEYS) if (current.has(key)) params.set(key, current.get(key));
  if (watch) params.set("watch", watch);
  if (config) writeConfigToQuery(schema, config, params);
  for (const key of VIEW_KEYS) if (view[key]) params.set(key, "true");
  const panels = PANELS.filter((name) => open.has(name));
  if (panels.length) params.set("open", panels.join(","));
  if (hide.length) params.set("hide", hide.join(","));
  if (lesson) params.set("lesson", lesson);
  // Commas are legal in a query; leaving them unescaped keeps "networkShape=4,2" readable.
  return params.toString().replaceAll("%2C", ",");
}

/** Writes the page state into the address bar (no history entry); drops a TF Playground hash. */
export function writePageUrl(schema, state) {
  const url = `${window.location.pathname}?${pageQuery(schema, state)}`;
  if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
    window.history.replaceState(null, "", url);
  }
}

/** An absolute link to this page with `query`. */
export function linkTo(query) {
  return `${window.location.origin}${window.location.pathname}?${query}`;
}
