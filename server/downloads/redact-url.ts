/**
 * Query parameters our own connectors send, none of which carries a secret. Every other value is
 * replaced, since a URL a user typed may hold a token (`?access_token=…`, a signed link).
 */
const SHOWN_QUERY_NAMES = new Set([
  "format",
  "type",
  "export",
  "enc",
  "xf",
  "includeDetails",
  "force",
]);

/** A URL fit for a run summary or a log: no user name or password, no query values, no fragment. */
export function redactUrl(url: URL): string {
  const base = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.search === "") return base;
  const parts: string[] = [];
  for (const [name, value] of url.searchParams) {
    const shown = SHOWN_QUERY_NAMES.has(name) ? value : "***";
    parts.push(
      `${encodeURIComponent(name)}=${shown === "***" ? shown : encodeURIComponent(shown)}`,
    );
  }
  return `${base}?${parts.join("&")}`;
}
