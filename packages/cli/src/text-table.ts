/** Renders a value for a table cell or a `key: value` line: strings bare, everything else as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value) ?? String(value);
}

/**
 * Left-aligned columns separated by two spaces, headers in capitals. Columns default to every key
 * of every row, `name` first, in order of first appearance.
 */
export function formatTable(rows: Record<string, unknown>[], columns: string[] = columnsOf(rows)): string {
  const headers = columns.map((column) => headerFor(column));
  const cells = rows.map((row) => columns.map((column) => formatValue(row[column]).replace(/\s*\n\s*/g, ' ')));
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...cells.map((line) => line[index]?.length ?? 0)),
  );
  const render = (line: string[]) =>
    line
      .map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)].join('\n');
}

/** MLflow's `get` output: one `key: value` line per field; fields with no value (`''`, undefined) are left out. */
export function formatKeyValues(record: Record<string, unknown>): string {
  return Object.entries(record)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key}: ${formatValue(value)}`)
    .join('\n');
}

/**
 * The columns a listing shows: the preferred ones any row has, in the preferred order. Targets
 * return many fields (pids, ports, timestamps); a terminal table keeps to the ones people scan for,
 * unless a target returns none of them. `hidden` tells whether fields were left out.
 */
export function summaryColumns(
  rows: Record<string, unknown>[],
  preferred: readonly string[],
): { columns: string[]; hidden: boolean } {
  const all = columnsOf(rows);
  const present = preferred.filter((column) => column === 'name' || rows.some((row) => row[column] !== undefined));
  const columns = present.length > 1 ? present : all.slice(0, 6);
  return { columns, hidden: all.some((column) => !columns.includes(column)) };
}

function columnsOf(rows: Record<string, unknown>[]): string[] {
  const columns = new Set<string>(['name']);
  for (const row of rows) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

function headerFor(column: string): string {
  return column.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}
