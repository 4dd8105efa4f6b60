/**
 * Separators between several URLs in one cell: any run of whitespace (including line breaks from
 * Alt+Enter in Excel) or `|`, and a comma only when the next non-space text starts a new http(s)
 * URL or the cell ends. Commas inside a URL (query strings, some CDNs' transformation paths) are
 * rare but real, and a comma directly followed by "http" is the only case where cutting is almost
 * certainly right; a comma anywhere else stays part of the URL and validation judges it.
 */
const URL_SEPARATOR = /[\s|]+|,(?=\s*(?:https?:\/\/|$))/i;
const MAY_HOLD_SEPARATOR = /[\s|,]/;

/** Splits a trimmed, non-empty URL cell into its URLs; never returns an empty list. */
export function splitUrlCell(cell: string): string[] {
  if (!MAY_HOLD_SEPARATOR.test(cell)) return [cell];
  const urls = cell.split(URL_SEPARATOR).filter((part) => part !== "");
  // A cell of nothing but separators is still content the user typed, so it is reported as a bad
  // URL rather than disappearing.
  return urls.length > 0 ? urls : [cell];
}
