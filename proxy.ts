import { getSessionCookie } from "better-auth/cookies";
import { NextResponse, type NextRequest } from "next/server";
import { safeNextPath } from "./app/_components/safe-next-path";

const PUBLIC_PAGES = ["/sign-in", "/setup", "/set-password"];

/**
 * Every page gets a Content-Security-Policy with a fresh nonce: Next reads it from the request's
 * CSP header and puts it on the inline scripts it writes, so no other inline script runs. (The
 * headers every response carries are in next.config.mjs.)
 *
 * Then a fast first gate: no session cookie, no page. Every page, procedure and route still checks
 * the session itself on the server; this only saves a round trip for signed-out visitors.
 */
export function proxy(request: NextRequest) {
  const { pathname, search, origin } = request.nextUrl;
  const isPublic = PUBLIC_PAGES.some(
    (page) => pathname === page || pathname.startsWith(`${page}/`),
  );
  if (!isPublic && !getSessionCookie(request)) {
    const next = safeNextPath(`${pathname}${search}`, origin);
    const url = new URL("/sign-in", origin);
    if (next !== "/") url.searchParams.set("next", next);
    return NextResponse.redirect(url);
  }
  const policy = contentSecurityPolicy(btoa(crypto.randomUUID()));
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  return response;
}

function contentSecurityPolicy(nonce: string): string {
  // React's development build evaluates code for its error overlay and call stacks
  const devScripts = process.env.NODE_ENV === "production" ? "" : " 'unsafe-eval'";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${devScripts}`,
    // style attributes (progress bars, the virtual list's row offsets) cannot carry a nonce
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const config = {
  // what a signed-out browser or crawler asks for before any page: the icons and robots.txt (public/);
  // and /metrics, which Prometheus reads with a token, never a cookie
  matcher: [
    "/((?!api/|metrics$|_next/static|_next/image|favicon.ico|icon.svg|apple-touch-icon.png|robots.txt).*)",
  ],
};
