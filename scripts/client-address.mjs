// Who is asking, and over which protocol. The socket's peer is the client, unless it is a proxy
// the admin listed in TRUSTED_PROXIES: only then do X-Forwarded-* headers count. Next.js and
// better-auth would otherwise believe whatever a client writes there (a rotated X-Forwarded-For
// was a fresh sign-in rate limit per request).
import proxyAddr from "proxy-addr";

/** Set on every request from the socket (or a trusted proxy's X-Forwarded-For); what a client sent is replaced. */
export const CLIENT_ADDRESS_HEADER = "x-datahaul-client-address";
const FORWARDED_HEADERS = [
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-proto",
];

/** `TRUSTED_PROXIES`: IPs and CIDRs (or proxy-addr's names loopback, linklocal, uniquelocal), comma-separated. */
export function compileTrustedProxies(value) {
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  try {
    return proxyAddr.compile(entries);
  } catch (error) {
    throw new Error(
      `TRUSTED_PROXIES: ${error.message}; list IP addresses or CIDR ranges, comma-separated`,
    );
  }
}

/**
 * Rewrites the request's forwarding headers to what can be believed, sets CLIENT_ADDRESS_HEADER,
 * and says whether the client's own connection is HTTPS (this server speaks plain HTTP, so only a
 * trusted proxy can say so).
 */
export function resolveClient(req, trust) {
  const isFromTrustedProxy = trust(req.socket.remoteAddress ?? "", 0);
  if (!isFromTrustedProxy) for (const name of FORWARDED_HEADERS) delete req.headers[name];
  req.headers[CLIENT_ADDRESS_HEADER] = proxyAddr(req, trust);
  const proto = isFromTrustedProxy ? firstValue(req.headers["x-forwarded-proto"]) : undefined;
  return { isHttps: proto?.toLowerCase() === "https" };
}

function firstValue(header) {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(",")[0]?.trim();
}

/** Cookies set on a response to an HTTPS request are Secure, whatever set them. */
export function secureCookies(res) {
  const writeHead = res.writeHead.bind(res);
  res.writeHead = (...args) => {
    const cookies = res.getHeader("set-cookie");
    if (cookies !== undefined) {
      res.setHeader(
        "set-cookie",
        [cookies]
          .flat()
          .map(String)
          .map((cookie) => (/;\s*secure\s*(;|$)/i.test(cookie) ? cookie : `${cookie}; Secure`)),
      );
    }
    return writeHead(...args);
  };
}
