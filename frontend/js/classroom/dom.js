// A tiny element builder for the classroom views: text always goes in as textContent.

/** <tag> with optional className, data-testid, text and attributes. */
export function el(tag, { className, testId, text, attrs } = {}, children = []) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (testId) element.dataset.testid = testId;
  if (text !== undefined) element.textContent = text;
  for (const [name, value] of Object.entries(attrs || {})) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A button that runs `onClick`; errors it throws (or rejects with) go to `onError`. */
export function actionButton(text, testId, onClick, onError) {
  const button = el("button", { testId, text, attrs: { type: "button" } });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await onClick();
    } catch (error) {
      onError(error.message);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
