// A table whose column headers sort it (click again to reverse). Columns:
// { key, label, value(row) for sorting, render(row) for display, numeric }.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';

export function SortableTable({ columns, rows, rowKey, initialSort, empty, testid, rowProps }) {
  const [sort, setSort] = useState(initialSort ?? { key: columns[0].key, dir: 1 });
  if (rows.length === 0) return html`<div class="empty" data-testid=${`${testid}-empty`}>${empty}</div>`;
  const column = columns.find((c) => c.key === sort.key) ?? columns[0];
  const value = column.value ?? ((r) => r[column.key]);
  const sorted = [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === y) return 0;
    if (x === undefined || x === null) return 1;
    if (y === undefined || y === null) return -1;
    return (x < y ? -1 : 1) * sort.dir;
  });
  const toggle = (key) => setSort((s) => ({ key, dir: s.key === key ? -s.dir : 1 }));
  return html`
    <table data-testid=${testid}>
      <thead>
        <tr>
          ${columns.map(
            (c) => html`<th
              key=${c.key}
              class=${c.numeric ? 'num' : ''}
              aria-sort=${c.key === sort.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}
            >
              ${c.sortable === false
                ? c.label
                : html`<button type="button" class="sort" onClick=${() => toggle(c.key)}>
                    ${c.label}<span class="arrow">${c.key === sort.key ? (sort.dir === 1 ? '▲' : '▼') : ''}</span>
                  </button>`}
            </th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${sorted.map(
          (r) => html`<tr key=${rowKey(r)} ...${rowProps ? rowProps(r) : {}}>
            ${columns.map((c) => html`<td key=${c.key} class=${c.numeric ? 'num' : ''}>${c.render ? c.render(r) : r[c.key]}</td>`)}
          </tr>`,
        )}
      </tbody>
    </table>
  `;
}
