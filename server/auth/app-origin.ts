import "server-only";
import { env } from "@/server/env";

/**
 * The address people reach the app at, for links the app hands out (the single sign-on callback,
 * password links in e-mails): APP_URL, or the asking request's own host. A trusted proxy's
 * X-Forwarded-Host and -Proto survive scripts/server.mjs; anyone else's are removed there.
 */
export function appOrigin(headers: Headers, requestUrl?: string): string {
  if (env.APP_URL) return new URL(env.APP_URL).origin;
  const url = requestUrl ? new URL(requestUrl) : null;
  const host =
    headers.get("x-forwarded-host")?.split(",")[0]?.trim() || headers.get("host") || url?.host;
  const isHttps = headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
  const protocol = isHttps ? "https" : (url?.protocol.replace(":", "") ?? "http");
  return `${protocol}://${host ?? "localhost"}`;
}
