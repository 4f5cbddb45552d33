// This tab's place in a room ({role, code, key | token, memberId, name}). Kept in sessionStorage, so a
// reload resumes it and another tab can be someone else, and in localStorage by room code, so that the
// same person coming back in this browser (a closed tab, the join link opened again) gets their place
// and their run back instead of a "name taken".

const KEY = "nnplay.classroom";
const KNOWN_KEY = "nnplay.classroom.rooms"; // room code -> membership, in this browser

function read(storage, key) {
  try {
    return JSON.parse(storage.getItem(key) || "null");
  } catch {
    return null;
  }
}

function write(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(value));
  } catch {
    // storage can be disabled: the room works until the tab is reloaded
  }
}

const valid = (saved) => (saved && saved.code && (saved.key || saved.token) ? saved : null);

/** This tab's membership, or null. */
export function loadMembership() {
  return valid(read(window.sessionStorage, KEY));
}

/** The membership this browser last had in room `code` (a tab since closed), or null. */
export function knownMembership(code) {
  const known = read(window.localStorage, KNOWN_KEY) || {};
  return valid(known[String(code || "").toUpperCase()]);
}

/** Every room this browser has a place in (newest last). */
export function knownMemberships() {
  return Object.values(read(window.localStorage, KNOWN_KEY) || {}).filter(valid);
}

/**
 * Keeps `membership` for this tab and this browser; null forgets this tab's (and, with `code`, this
 * browser's place in that room).
 */
export function saveMembership(membership, code = null) {
  write(window.sessionStorage, KEY, membership);
  const known = read(window.localStorage, KNOWN_KEY) || {};
  const room = membership ? membership.code : code;
  if (!room) return;
  if (membership) known[room] = membership;
  else delete known[room];
  write(window.localStorage, KNOWN_KEY, known);
}
