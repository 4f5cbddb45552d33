// This tab's place in a room ({role, code, key | token, memberId, name}), kept in sessionStorage so
// that a reload resumes it and another tab can be someone else.

const KEY = "nnplay.classroom";

export function loadMembership() {
  try {
    const saved = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
    return saved && saved.code && (saved.key || saved.token) ? saved : null;
  } catch {
    return null;
  }
}

export function saveMembership(membership) {
  try {
    if (membership) window.sessionStorage.setItem(KEY, JSON.stringify(membership));
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // storage can be disabled: the room works until the tab is reloaded
  }
}
