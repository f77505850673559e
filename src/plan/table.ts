/** Rows of cells as aligned text columns, as every table of the plan prints them. */
export function table(rows: string[][], indent = "  "): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join("  ")
        .trimEnd(),
  );
}
