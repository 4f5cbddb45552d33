// The sweep's tables: every run, sortable by any column (a button in each header; aria-sort says how),
// and the spread of each setting over its seeds (mean ± std).

import { figuresOf, formatNumber, formatValue, labelOf } from "./format.js";

function columnsOf(sweep) {
  return [
    { key: "index", label: "Run", value: (r) => r.index },
    ...sweep.varied.map((name) => ({ key: `v:${name}`, label: labelOf(name), value: (r) => r.varied[name], text: formatValue })),
    { key: "seed", label: "Seed", value: (r) => r.seed },
    { key: "epoch", label: sweep.unit === "step" ? "Step" : "Epoch", value: (r) => r.epoch },
    { key: "state", label: "State", value: (r) => r.state },
    ...figuresOf(sweep).map(([key, label]) => ({ key, label, value: (r) => r[key], text: (v) => formatNumber(v) })),
  ];
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // runs without a figure go last either way
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(formatValue(a)).localeCompare(String(formatValue(b)), undefined, { numeric: true });
}

/** createRunTable(table) -> {update(sweep)}; the sort (column, direction) is kept across updates. */
export function createRunTable(table) {
  let sort = { key: "index", direction: 1 };
  let last = null;
  const render = () => {
    if (!last) return;
    const columns = columnsOf(last);
    const column = columns.find((c) => c.key === sort.key) ?? columns[0];
    const rows = [...last.runs].sort((a, b) => {
      const order = compare(column.value(a), column.value(b));
      const missing = column.value(a) == null || column.value(b) == null;
      return missing ? order : sort.direction * order;
    });
    const head = document.createElement("tr");
    for (const c of columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.setAttribute("aria-sort", c.key === column.key ? (sort.direction > 0 ? "ascending" : "descending") : "none");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = c.label + (c.key === column.key ? (sort.direction > 0 ? " ▲" : " ▼") : "");
      button.dataset.testid = `sweep-sort-${c.key.replace("v:", "")}`;
      button.addEventListener("click", () => {
        sort = { key: c.key, direction: c.key === sort.key ? -sort.direction : 1 };
        render();
      });
      th.append(button);
      head.append(th);
    }
    const body = rows.map((run) => {
      const tr = document.createElement("tr");
      tr.dataset.run = String(run.index);
      for (const c of columns) {
        const td = document.createElement("td");
        const value = c.value(run);
        td.textContent = c.text ? c.text(value) : String(value);
        tr.append(td);
      }
      return tr;
    });
    const thead = document.createElement("thead");
    thead.append(head);
    const tbody = document.createElement("tbody");
    tbody.append(...body);
    const focused = table.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    table.replaceChildren(thead, tbody);
    if (focused) table.querySelector(`[data-testid="${focused}"]`)?.focus(); // a redraw keeps the keyboard's place
  };
  return {
    update(sweep) {
      last = sweep;
      render();
    },
  };
}

/** createSpreadTable(table) -> {update(sweep)}: one row per setting, mean ± std over its seeds. */
export function createSpreadTable(table) {
  return {
    update(sweep) {
      const figures = figuresOf(sweep);
      const head = ["Setting", "Seeds", ...figures.map(([, label]) => label)];
      const thead = document.createElement("thead");
      const tr = document.createElement("tr");
      for (const text of head) tr.append(Object.assign(document.createElement("th"), { scope: "col", textContent: text }));
      thead.append(tr);
      const tbody = document.createElement("tbody");
      for (const row of sweep.groups) {
        const line = document.createElement("tr");
        if (row.group === sweep.best_group) line.className = "best";
        const setting = sweep.varied.map((n) => `${labelOf(n)} ${formatValue(row.varied[n])}`).join(", ") || "all runs";
        const cells = [setting, String(row.seeds.length), ...figures.map(([key]) => spreadText(row[key]))];
        for (const text of cells) line.append(Object.assign(document.createElement("td"), { textContent: text }));
        tbody.append(line);
      }
      table.replaceChildren(thead, tbody);
    },
  };
}

function spreadText(spread) {
  if (!spread || spread.mean === null) return "–";
  return spread.n > 1 ? `${formatNumber(spread.mean)} ± ${formatNumber(spread.std, 2)}` : formatNumber(spread.mean);
}
