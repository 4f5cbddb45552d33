// The generative lab's lessons (hello.schema.lessons): pick one, read a step, try it. Trying a step sends
// its config on top of the settings' defaults and starts the run over from it.

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

function element(tag, text, testId) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (testId) node.dataset.testid = testId;
  return node;
}

/** createLessons(root, {onTry(config)}) -> {setSchema(schema)} */
export function createLessons(root, { onTry }) {
  let lessons = [];
  let defaults = {};
  let lesson = null;
  let index = 0;
  const select = byTestId("gen-lesson");
  const card = element("div", "", "lesson-card");
  card.className = "lesson-card";
  root.append(card);

  function render() {
    card.replaceChildren();
    if (!lesson) return;
    const step = lesson.steps[index];
    const title = element("h4", `Step ${index + 1} of ${lesson.steps.length}: ${step.title}`, "lesson-step-title");
    const question = element("p", step.question, "lesson-question");
    question.className = "question";
    const buttons = element("div");
    buttons.className = "row";
    const previous = element("button", "◀ Back", "lesson-previous");
    const tryIt = element("button", "Try it", "lesson-try");
    const next = element("button", "Next ▶", "lesson-next");
    for (const button of [previous, tryIt, next]) button.type = "button";
    previous.disabled = index === 0;
    next.disabled = index === lesson.steps.length - 1;
    previous.addEventListener("click", () => show(index - 1));
    next.addEventListener("click", () => show(index + 1));
    tryIt.addEventListener("click", () => onTry({ ...defaults, ...step.config }));
    buttons.append(previous, tryIt, next);
    card.append(title, element("p", step.explanation, "lesson-explanation"), question, buttons);
  }

  function show(i) {
    index = Math.max(0, Math.min(i, lesson.steps.length - 1));
    render();
  }

  select.addEventListener("change", () => {
    lesson = lessons.find((l) => l.id === select.value) || null;
    index = 0;
    render();
  });

  return {
    setSchema(schema) {
      lessons = schema.lessons || [];
      defaults = Object.fromEntries(schema.settings.map((s) => [s.name, s.default]));
      select.replaceChildren(new Option("choose a lesson…", ""), ...lessons.map((l) => new Option(l.title, l.id)));
    },
  };
}
