/**
 * Where to go after sign-in: `next` if it is a page of this site, otherwise "/". Parsed as a URL
 * against our origin, the way the browser will read it, because text checks miss what the URL
 * parser does: `/\host` and `/\t/host` both mean `//host`, another site.
 */
export function safeNextPath(next: string | null | undefined, origin: string): string {
  if (!next?.startsWith("/")) return "/";
  const path = sameOriginPath(next, origin);
  // the path is navigated to on its own, so it must also stay here when read again (`/.//host`)
  return path !== null && sameOriginPath(path, origin) === path ? path : "/";
}

function sameOriginPath(candidate: string, origin: string): string | null {
  try {
    const url = new URL(candidate, origin);
    return url.origin === new URL(origin).origin ? `${url.pathname}${url.search}${url.hash}` : null;
  } catch {
    return null;
  }
}
