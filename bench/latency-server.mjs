// A distant image host for `bench:images --latency=MS`: serves the bench's files like nginx, but
// every response waits MS milliseconds before its first byte, as a CDN across a continent does.
// The kernel here has no netem, so the wait is made by the server. It runs in a process of its own,
// so its CPU is nobody's figure. Usage: node bench/latency-server.mjs <port> <root> <ms>
import fs from "node:fs/promises";
import http from "node:http";
import path from "node:path";

const [port, root, delayMs] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];

const server = http.createServer((request, response) => {
  const file = path.join(root, path.normalize(decodeURIComponent(request.url.split("?")[0])));
  setTimeout(async () => {
    try {
      const body = await fs.readFile(file);
      response.writeHead(200, { "content-type": "image/png", "content-length": body.length });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  }, delayMs);
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => console.log(`latency server on ${port}, ${delayMs} ms`));
