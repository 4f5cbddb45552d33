// The way in: a `teach` button (makes this page's run a room), a join form (code + name) and, for
// rooms this browser already has a place in, a button to go back to it.

import { actionButton, el } from "./dom.js";

export const NAME_MAX = 24; // the server's limit (classroom/rooms.py): a longer name is refused, not cut

/** "" for a name the room can take, else why not (said before the form is sent). */
export function nameProblem(name) {
  const length = [...name.trim()].length;
  return length > NAME_MAX ? `A name has at most ${NAME_MAX} characters; this one has ${length}.` : "";
}

/**
 * Builds the entry; calls onTeach(), onJoin(code, name) or onRejoin(membership). `known` lists the
 * memberships this browser keeps. Returns {element}.
 */
export function createEntry({ onTeach, onJoin, onRejoin, onError, code = "", known = [] }) {
  const teach = actionButton("Teach a class", "teach", onTeach, onError);
  teach.title = "Open a room for this run: students join with a code and watch it live";
  const codeInput = el("input", {
    testId: "join-code",
    attrs: {
      id: "join-code",
      autocomplete: "off",
      maxlength: "9",
      spellcheck: "false",
      placeholder: "ABC234",
    },
  });
  codeInput.value = code;
  // No maxlength: a pasted name is never cut silently; a long one is refused in words.
  const nameInput = el("input", {
    testId: "join-name",
    attrs: {
      id: "join-name",
      autocomplete: "nickname",
      placeholder: "your name",
      "aria-describedby": "join-name-note",
    },
  });
  const note = el("span", {
    className: "join-note",
    testId: "join-name-note",
    attrs: { id: "join-name-note", "aria-live": "polite" },
  });
  const join = el("button", { testId: "join", text: "Join", attrs: { type: "submit" } });
  const form = el("form", { className: "join-form", attrs: { "aria-label": "Join a class" } }, [
    el("label", { text: "Room code", attrs: { for: "join-code" } }),
    codeInput,
    el("label", { text: "Name", attrs: { for: "join-name" } }),
    nameInput,
    join,
    note,
  ]);
  const check = () => {
    const problem = nameProblem(nameInput.value);
    note.textContent = problem;
    nameInput.setAttribute("aria-invalid", String(Boolean(problem)));
    return !problem;
  };
  nameInput.addEventListener("input", check);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!check()) {
      nameInput.focus();
      return;
    }
    join.disabled = true;
    try {
      await onJoin(codeInput.value.trim(), nameInput.value);
    } catch (error) {
      onError(error.message);
    } finally {
      join.disabled = false;
    }
  });
  if (code) queueMicrotask(() => nameInput.focus());
  const back = known.map((membership) => {
    const who = membership.role === "teacher" ? "as the teacher" : `as ${membership.name}`;
    const text = `Back to room ${membership.code} ${who}`;
    const button = actionButton(text, "rejoin", () => onRejoin(membership), onError);
    button.dataset.code = membership.code;
    return button;
  });
  const or = el("span", { className: "or", text: "or" });
  const element = el("div", { className: "classroom-entry" }, [...back, teach, or, form]);
  return { element };
}
