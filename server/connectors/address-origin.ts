/**
 * Where a connector address sends credentials, as an origin: compared as URLs, so host case, a
 * default port or a trailing path do not count as a move. An empty setting means the base URL, a
 * relative one is resolved against it; what is no http(s) URL is compared as written.
 * Pure, so the browser's form and the save service decide alike.
 */
export function addressOrigin(baseUrl: string, setting = ""): string | null {
  const address = setting.trim() || baseUrl.trim();
  if (!address) return null;
  try {
    const url = new URL(address, baseUrl.trim() || undefined);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : address;
  } catch {
    return address;
  }
}
