/**
 * Separators between several URLs in one cell. Line breaks (Alt+Enter in Excel) and `|` always
 * separate. Spaces and commas separate only where the next text starts a URL (a scheme and "://",
 * or "www."): file names with spaces are common in exports ("…/Front view.jpg", which browsers
 * send as %20), and so are commas in CDN transformation paths; cutting there gave one wrong URL
 * that passed and one fragment that failed.
 */
const HARD_SEPARATOR = /[\r\n|]+/;
const SOFT_SEPARATOR =
  /\s*,\s*(?=[a-z][a-z0-9+.-]*:\/\/|www\.)|\s+(?=[a-z][a-z0-9+.-]*:\/\/|www\.)|\s*,\s*$/i;
const MAY_HOLD_SEPARATOR = /[\s|,]/;

/** Splits a trimmed, non-empty URL cell into its URLs; never returns an empty list. */
export function splitUrlCell(cell: string): string[] {
  if (!MAY_HOLD_SEPARATOR.test(cell)) return [cell];
  const urls = cell
    .split(HARD_SEPARATOR)
    .flatMap((part) => part.trim().split(SOFT_SEPARATOR))
    .map((part) => part.trim())
    .filter((part) => part !== "");
  // A cell of nothing but separators is still content the user typed, so it is reported as a bad
  // URL rather than disappearing.
  return urls.length > 0 ? urls : [cell];
}
