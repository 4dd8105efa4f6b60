// The production server: Next.js behind a plain Node HTTP server. It exists for one reason:
// Next 16 drops `Content-Length` from route-handler responses (send-response.js, FORBIDDEN_HEADERS),
// and a ZIP download without it shows no progress and cannot be checked for completeness. A route
// that knows its exact length sets `X-Content-Length`; this server turns it back into
// `Content-Length`, so Node sends the body unchunked. It also holds what only the socket knows: the
// client's address and whether a trusted proxy says the connection is HTTPS (client-address.mjs).
import http from "node:http";
import path from "node:path";
import next from "next";
import { compileTrustedProxies, resolveClient, secureCookies } from "./client-address.mjs";

const root = path.resolve(import.meta.dirname, "..");
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? "0.0.0.0";
const EXACT_LENGTH = "x-content-length";
let trustedProxies;
try {
  trustedProxies = compileTrustedProxies(process.env.TRUSTED_PROXIES);
} catch (error) {
  console.error(`Invalid environment:\n  ${error.message}`);
  process.exit(1);
}

const app = next({ dev: false, dir: root, port, hostname });
const handle = app.getRequestHandler();
await app.prepare();

function restoreContentLength(res) {
  const setHeader = res.setHeader.bind(res);
  const appendHeader = res.appendHeader.bind(res);
  res.setHeader = (name, value) =>
    name.toLowerCase() === EXACT_LENGTH
      ? setHeader("content-length", value)
      : setHeader(name, value);
  res.appendHeader = (name, value) =>
    name.toLowerCase() === EXACT_LENGTH
      ? setHeader("content-length", value)
      : appendHeader(name, value);
}

const server = http.createServer((req, res) => {
  restoreContentLength(res);
  if (resolveClient(req, trustedProxies).isHttps) secureCookies(res);
  void handle(req, res);
});
// longer than the idle timeout of common proxies and clients, so a reused connection is never
// closed by us just as a request is sent on it
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(port, hostname, () =>
  console.log(`DataHaul is listening on http://localhost:${port}`),
);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close();
    // instrumentation's own handlers drain the worker and exit
    setTimeout(() => process.exit(0), 30_000).unref();
  });
}
