/**
 * Separators between several URLs in one cell. Line breaks (Alt+Enter in Excel), tabs and `|`
 * always separate. Runs of spaces and commas separate only where the next text starts a URL (a
 * scheme and "://", or "www."): file names with spaces are common in exports ("…/Front view.jpg",
 * which browsers send as %20), and so are commas in CDN transformation paths.
 *
 * Written as one pass over the pieces, with no regular expression that can backtrack: a pattern
 * with lookaheads took 27 s for a cell of 80,000 spaces, on the server, inside the request.
 */
const HARD_SEPARATOR = /[\r\n\t|]+/;
const SOFT_SEPARATOR = /([\s,]+)/;
const URL_START = /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.)/i;
const MAY_HOLD_SEPARATOR = /[\s|,]/;

/** Splits a trimmed, non-empty URL cell into its URLs; never returns an empty list. */
export function splitUrlCell(cell: string): string[] {
  if (!MAY_HOLD_SEPARATOR.test(cell)) return [cell];
  const urls: string[] = [];
  for (const line of cell.split(HARD_SEPARATOR)) {
    // pieces and the separator runs between them, alternating: [piece, run, piece, run, …]
    const parts = line.split(SOFT_SEPARATOR);
    let current = parts[0]!;
    for (let i = 2; i < parts.length; i += 2) {
      const piece = parts[i]!;
      if (URL_START.test(piece)) {
        urls.push(current);
        current = piece;
      } else current += parts[i - 1]! + piece;
    }
    urls.push(current);
  }
  const cleaned = urls.map(trimSeparators).filter((url) => url !== "");
  // A cell of nothing but separators is still content the user typed, so it is reported as a bad
  // URL rather than disappearing.
  return cleaned.length > 0 ? cleaned : [cell];
}

/** Drops spaces and commas at both ends (a trailing comma is a list's, not the URL's). */
function trimSeparators(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isSoftSeparator(text.charCodeAt(start))) start++;
  while (end > start && isSoftSeparator(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isSoftSeparator(code: number): boolean {
  // comma, or what \s matches in the ASCII and Latin-1 range a spreadsheet cell holds
  return code === 44 || code === 32 || (code >= 9 && code <= 13) || code === 160 || code === 0xfeff;
}
