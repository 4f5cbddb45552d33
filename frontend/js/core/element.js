// A small element builder: element("a", { testId: "x", text: "hi", href: "…" }, child, …). Text always
// goes in as textContent; other props become attributes.

export function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "testId") node.dataset.testid = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}
