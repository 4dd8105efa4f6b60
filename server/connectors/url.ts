/** Joins a connector's base URL and a path, keeping any path prefix of the base (e.g. /metabase). */
export function joinUrl(baseUrl: string, pathAndQuery: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${pathAndQuery.replace(/^\/+/, "")}`;
}
