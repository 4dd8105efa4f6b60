/** "Sales 2026" → "'Sales 2026'": a sheet name in A1 notation, quoted so any name is safe. */
export function quoteSheetName(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}

/** 1 → "A", 26 → "Z", 27 → "AA", 18278 → "ZZZ". */
export function columnLetters(column: number): string {
  let letters = "";
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return letters;
}

/** "'Export'!A2:F101": `rows` rows of `columns` cells whose first row is `firstRow` (1-based). */
export function blockRange(sheet: string, firstRow: number, rows: number, columns: number): string {
  return `${quoteSheetName(sheet)}!A${firstRow}:${columnLetters(Math.max(1, columns))}${firstRow + rows - 1}`;
}

/**
 * A range as a path segment of the values API: every reserved character percent-encoded, the
 * quote and "!" too, as Google's discovery document asks (fullyEncodeReservedExpansion).
 */
export function rangePath(range: string): string {
  return encodeURIComponent(range).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
