/**
 * Prints rows as an aligned text table: numbers right-aligned, text left-aligned.
 */

export type Cell = string | number | boolean | null | undefined;

export interface Column<Row> {
  readonly title: string;
  readonly value: (row: Row) => Cell;
}

/** Formats `rows` under `columns`; numbers get thousands separators and at most `digits` decimals. */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], digits = 2): string {
  const text = (cell: Cell): string => {
    if (typeof cell === 'number') {
      if (!Number.isFinite(cell)) return String(cell);
      return cell.toLocaleString('en-US', { maximumFractionDigits: digits });
    }
    return cell === null || cell === undefined ? '' : String(cell);
  };
  const body = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...body.map((r) => text(r[i]).length)));
  const line = (cells: readonly Cell[], header: boolean): string =>
    cells
      .map((cell, i) => {
        const s = header ? String(cell) : text(cell);
        const w = widths[i] ?? 0;
        return typeof cell === 'number' && !header ? s.padStart(w) : s.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const head = line(columns.map((c) => c.title), true);
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [head, rule, ...body.map((r) => line(r, false))].join('\n');
}

/** `formatTable` to stdout. */
export function printTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], digits = 2): void {
  process.stdout.write(formatTable(rows, columns, digits) + '\n');
}
