// What commands print: one JSON line per value for scripts, aligned plain-text tables for people
// reading a terminal. Scripts should use the JSON; the table layout may change between versions.

/** Writes one value as one line of JSON on stdout (dates as ISO 8601 strings). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** One column: its heading, and whether its values line up on the right (numbers). */
export interface Column {
  heading: string;
  alignRight?: boolean;
}

/** Lays out rows under headings, two spaces between columns, without trailing spaces. */
export function formatTable(columns: readonly Column[], rows: readonly string[][]): string {
  const widths = columns.map((column, index) =>
    Math.max(column.heading.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? '';
        return column.alignRight ? cell.padStart(widths[index]) : cell.padEnd(widths[index]);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.heading)), ...rows.map(line)].join('\n') + '\n';
}

/** A time as people read it in a table: "2030-01-31 09:00:00Z" (UTC, whole seconds). */
export function formatTime(time: Date | null): string {
  return time === null ? '-' : `${time.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Cuts `text` to one line of at most `width` characters, marking the cut with "...". */
export function clip(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 3)}...` : flat;
}
