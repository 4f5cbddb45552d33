// The lesson's current step as everyone in the room sees it: title, explanation, the question.

/** Fills `card` from the room's `lesson` ({title, step, steps, current}) or hides it. */
export function renderLesson(card, lesson) {
  const step = lesson && lesson.current;
  card.hidden = !step;
  if (!step) return;
  const heading = document.createElement("h3");
  heading.dataset.testid = "lesson-title";
  heading.textContent = step.title;
  const where = document.createElement("p");
  where.className = "lesson-where";
  where.dataset.testid = "lesson-step";
  where.textContent = `${lesson.title} · step ${lesson.step + 1} of ${lesson.steps}`;
  const explanation = document.createElement("p");
  explanation.textContent = step.explanation;
  const question = document.createElement("p");
  question.className = "lesson-question";
  question.textContent = `Think: ${step.question}`;
  card.replaceChildren(where, heading, explanation, question);
}
