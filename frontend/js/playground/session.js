// Finding the session this tab works on.

import { ApiError, createSession, getSession, validationMessages } from "../core/api.js";
import { pageDefaultConfig, problemOfDataset, withConsistentLoss } from "../core/settings.js";

const STORAGE_KEY = "nnplay.session";

// The session id is kept per tab (sessionStorage): a reload resumes this tab's run, a new tab
// starts its own, and the id never appears in a link.
function rememberedSessionId() {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage can be disabled: every load then starts a new run
  }
}

/** Remembers this tab's session id. */
export function rememberSessionId(id) {
  try {
    window.sessionStorage.setItem(STORAGE_KEY, id);
  } catch {
    // ignored: see rememberedSessionId
  }
}

const sameValue = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Resumes this tab's session if the server still has it and the address names no other
 * settings (a reload keeps the address in step with the run, a pasted link does not); otherwise
 * creates one from the page defaults overlaid by the address's settings. `url` is readPageUrl's
 * result. Resolves to {session, notices}: `session` is the server's {id, config, ...}; `notices`
 * are messages about settings it refused.
 */
export async function resolveSession(schema, url) {
  const id = rememberedSessionId();
  if (id) {
    const existing = await getSession(id);
    const matches =
      existing && Object.entries(url.config).every(([name, value]) => sameValue(existing.config[name], value));
    if (existing && (!url.hasConfig || matches)) return { session: existing, notices: [] };
  }
  const config = { ...url.config };
  // A hand-written link may name a data set but not its problem type, which follows from it.
  if (config.dataset && !config.problem) config.problem = problemOfDataset(schema, config.dataset);
  // Likewise the loss: "?dataset=blobs" alone means softmax and cross-entropy, not an error.
  const base = { ...pageDefaultConfig(schema), ...config };
  const full = { ...base, ...withConsistentLoss(schema, base, config) };
  const result = await createSessionDroppingInvalid(full);
  rememberSessionId(result.session.id);
  return result;
}

/** Creates a session; settings the server rejects are dropped (and reported) rather than fatal. */
export async function createSessionDroppingInvalid(config) {
  const notices = [];
  let attempt = { ...config };
  for (let tries = 0; tries < 3; tries += 1) {
    try {
      return { session: await createSession(attempt), notices };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 422) throw error;
      const problems = validationMessages(error);
      notices.push(...problems.map((p) => p.message));
      const fields = problems.map((p) => p.field).filter((f) => f in attempt);
      attempt = fields.length
        ? Object.fromEntries(Object.entries(attempt).filter(([k]) => !fields.includes(k)))
        : {};
    }
  }
  return { session: await createSession({}), notices };
}
