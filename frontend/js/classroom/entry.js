// The way in: a `teach` button (makes this page's run a room) and a join form (code + name).

import { actionButton, el } from "./dom.js";

/** Builds the entry into `container`; calls onTeach() or onJoin(code, name). Returns {element}. */
export function createEntry({ onTeach, onJoin, onError, code = "" }) {
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
  const nameInput = el("input", {
    testId: "join-name",
    attrs: { id: "join-name", autocomplete: "nickname", maxlength: "24", placeholder: "your name" },
  });
  const join = el("button", { testId: "join", text: "Join", attrs: { type: "submit" } });
  const form = el("form", { className: "join-form", attrs: { "aria-label": "Join a class" } }, [
    el("label", { text: "Room code", attrs: { for: "join-code" } }),
    codeInput,
    el("label", { text: "Name", attrs: { for: "join-name" } }),
    nameInput,
    join,
  ]);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
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
  const or = el("span", { className: "or", text: "or" });
  const element = el("div", { className: "classroom-entry" }, [teach, or, form]);
  return { element };
}
