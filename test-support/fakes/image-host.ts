// Fake image host for image batches: real images, and every way a download goes wrong. What it
// serves, and the sources: docs/fakes.md.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import zlib from "node:zlib";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { buildImage, buildJpeg, FAKE_IMAGE_MIME, type FakeImageType } from "./images";

export type ImageHost = {
  url: string;
  close(): Promise<void>;
  // Counted by path without the query string.
  hits(path: string): number;
  // Most requests the host was serving at the same moment since start (or the last reset).
  peakConcurrency(): number;
  resetPeakConcurrency(): void;
  /** When each request arrived (epoch ms), in order: what a rate limit is checked against. */
  arrivals(): number[];
  /** Lets through every request with `?hold=<name>`, held until now, and all later ones. */
  release(name: string): void;
  /**
   * Responses sent in full, by path: unlike hits, a request whose client went away before its
   * answer (a killed process) does not count.
   */
  delivered(path: string): number;
  /** Holds every request that arrives from now on, whatever its path, until openGate(). */
  closeGate(): void;
  /** Answers the requests held at the gate whose client still waits, and all later ones. */
  openGate(): void;
  /** Requests held at the gate whose client still waits. */
  waitingAtGate(): number;
};

const HUGE_DEFAULT_MB = 3;
const SLOW_BODY_TOTAL = 4096;
const SLOW_BODY_SENT = 1024;
const TRUNCATED_TOTAL = 5000;
const TRUNCATED_SENT = 1234;

const imageCache = new Map<string, Buffer>();

function cachedImage(type: FakeImageType, name: string, targetBytes: number): Buffer {
  const key = `${type}:${name}:${targetBytes}`;
  let bytes = imageCache.get(key);
  if (!bytes) {
    bytes = buildImage(type, name, targetBytes);
    imageCache.set(key, bytes);
  }
  return bytes;
}

function sendBytes(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: Buffer,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": contentType, "content-length": body.length, ...extra });
  res.end(body);
}

function sendStatus(res: ServerResponse, status: number, extra: Record<string, string> = {}) {
  sendBytes(res, status, "text/plain; charset=utf-8", Buffer.from(`status ${status}\n`), extra);
}

function redirect(res: ServerResponse, location: string, status = 302) {
  res.writeHead(status, { location, "content-length": 0 });
  res.end();
}

// Writes zeros after a JPEG header with backpressure, so a "huge" file costs no memory.
function streamHugeJpeg(
  req: IncomingMessage,
  res: ServerResponse,
  totalBytes: number,
  declareLength: boolean,
) {
  const head = buildJpeg("huge").subarray(0, 20);
  const filler = Buffer.alloc(64 * 1024);
  res.writeHead(200, {
    "content-type": "image/jpeg",
    ...(declareLength ? { "content-length": totalBytes } : {}),
  });
  let sent = 0;
  let stopped = false;
  req.socket.once("close", () => {
    stopped = true;
  });
  const pump = () => {
    while (!stopped && sent < totalBytes) {
      const piece =
        sent === 0 ? head : filler.subarray(0, Math.min(filler.length, totalBytes - sent));
      sent += piece.length;
      if (!res.write(piece)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!stopped) res.end();
  };
  pump();
}

/** With `tls`, the same host answers over HTTPS with that key and certificate. */
export async function startImageHost(
  options: { port?: number; tls?: { key: string; cert: string } } = {},
): Promise<ImageHost> {
  const hitCounts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let peak = 0;
  const arrivedAt: number[] = [];
  const held = new Map<string, (() => void)[]>();
  const released = new Set<string>();
  const deliveredCounts = new Map<string, number>();
  let isGateClosed = false;
  const atGate = new Set<{ req: IncomingMessage; res: ServerResponse }>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const path = url.pathname;
    const hits = (hitCounts.get(path) ?? 0) + 1;
    hitCounts.set(path, hits);
    const segments = path.split("/").filter(Boolean);
    const kb = Number(url.searchParams.get("kb") ?? 0);

    if (path === "/health") return sendBytes(res, 200, "text/plain", Buffer.from("ok\n"));

    const image = /^\/img\/([^/]+)\.(png|jpg|jpeg|webp|avif|gif)$/.exec(path);
    if (image) {
      const type = (image[2] === "jpeg" ? "jpg" : image[2]) as FakeImageType;
      const bytes = cachedImage(type, image[1]!, Math.max(0, kb) * 1024);
      return sendBytes(res, 200, FAKE_IMAGE_MIME[type], bytes);
    }

    if (segments[0] === "status" && segments[1]) {
      const status = Number(segments[1]);
      const retryAfter = url.searchParams.get("retry-after");
      if (status >= 200 && status <= 599)
        return sendStatus(res, status, retryAfter === null ? {} : { "retry-after": retryAfter });
    }

    // An image sent with a content coding (gzip, deflate, br, or one nobody decodes).
    const coded = /^\/coded\/([^/]+)\.(png|jpg|webp)$/.exec(path);
    if (coded) {
      const type = coded[2] as FakeImageType;
      const coding = url.searchParams.get("coding") ?? "gzip";
      const plain = cachedImage(type, coded[1]!, Math.max(0, kb) * 1024);
      const body =
        coding === "gzip"
          ? zlib.gzipSync(plain)
          : coding === "deflate"
            ? zlib.deflateSync(plain)
            : coding === "br"
              ? zlib.brotliCompressSync(plain)
              : plain;
      return sendBytes(res, 200, FAKE_IMAGE_MIME[type], body, { "content-encoding": coding });
    }

    // A JPEG start and then zeros, gzipped: a small body that inflates to `mb` MB, a bomb.
    if (path === "/gzip-bomb.jpg") {
      const mb = Number(url.searchParams.get("mb") ?? 100);
      res.writeHead(200, { "content-type": "image/jpeg", "content-encoding": "gzip" });
      const gzip = zlib.createGzip();
      gzip.pipe(res);
      gzip.write(buildJpeg("bomb").subarray(0, 20));
      let left = Math.round(mb * 1024 * 1024);
      const zeros = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          const piece = zeros.subarray(0, Math.min(zeros.length, left));
          left -= piece.length;
          if (!gzip.write(piece)) return void gzip.once("drain", pump);
        }
        gzip.end();
      };
      res.once("close", () => gzip.destroy());
      pump();
      return;
    }

    // A whole HTTP answer whose gzip data stops half way.
    if (path === "/gzip-cut.png") {
      const whole = zlib.gzipSync(cachedImage("png", "gzip-cut", 20 * 1024));
      const cut = whole.subarray(0, Math.floor(whole.length / 2));
      return sendBytes(res, 200, "image/png", cut, { "content-encoding": "gzip" });
    }

    // gzip bytes under an image label, without saying they are compressed.
    if (path === "/gzip-unlabelled.jpg") {
      return sendBytes(res, 200, "image/jpeg", zlib.gzipSync(cachedImage("jpg", "unlabelled", 0)));
    }

    if (path === "/redirect-to") {
      const status = Number(url.searchParams.get("status") ?? 302);
      return redirect(res, url.searchParams.get("url") ?? "/", status);
    }

    if (segments[0] === "flaky" && segments[1]) {
      if (hits === 1) return sendStatus(res, 500);
      return sendBytes(res, 200, "image/png", cachedImage("png", `flaky-${segments[1]}`, 0));
    }

    if (segments[0] === "rate-limited" && segments[1]) {
      if (hits === 1) return sendStatus(res, 429, { "retry-after": "1" });
      return sendBytes(res, 200, "image/png", cachedImage("png", `rate-limited-${segments[1]}`, 0));
    }

    if (segments[0] === "slow-body" && segments[1]) {
      const bytes = cachedImage("png", `slow-${segments[1]}`, SLOW_BODY_TOTAL);
      res.writeHead(200, { "content-type": "image/png", "content-length": bytes.length });
      // The rest never comes: the client's read timeout has to end this.
      res.write(bytes.subarray(0, SLOW_BODY_SENT));
      return;
    }

    if (segments[0] === "truncated" && segments[1]) {
      const bytes = cachedImage("png", `truncated-${segments[1]}`, TRUNCATED_TOTAL);
      res.writeHead(200, { "content-type": "image/png", "content-length": TRUNCATED_TOTAL });
      res.write(bytes.subarray(0, TRUNCATED_SENT), () => res.socket?.destroy());
      return;
    }

    if (segments[0] === "truncated-once" && segments[1]) {
      const bytes = cachedImage("png", `truncated-once-${segments[1]}`, TRUNCATED_TOTAL);
      if (hits > 1) return sendBytes(res, 200, "image/png", bytes);
      res.writeHead(200, { "content-type": "image/png", "content-length": bytes.length });
      res.write(bytes.subarray(0, TRUNCATED_SENT), () => res.socket?.destroy());
      return;
    }

    if (path === "/echo") {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const echo = {
          method: req.method,
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        sendBytes(res, 200, "application/json", Buffer.from(JSON.stringify(echo)));
      });
      return;
    }

    if (path === "/huge.jpg") {
      const mb = Number(url.searchParams.get("mb") ?? HUGE_DEFAULT_MB);
      return streamHugeJpeg(
        req,
        res,
        Math.round(mb * 1024 * 1024),
        url.searchParams.get("chunked") !== "1",
      );
    }

    if (path === "/html-as.jpg") {
      return sendBytes(
        res,
        200,
        "text/html; charset=utf-8",
        Buffer.from(
          "<!doctype html><html><head><title>Not here</title></head><body>Sorry, no image.</body></html>\n",
        ),
      );
    }

    if (segments[0] === "redirect" && segments[1] !== undefined) {
      const remaining = Number(segments[1]);
      if (Number.isInteger(remaining) && remaining > 0)
        return redirect(res, `/redirect/${remaining - 1}`);
      if (remaining === 0)
        return sendBytes(res, 200, "image/png", cachedImage("png", "redirect-target", 0));
    }

    if (path === "/redirect-loop") return redirect(res, "/redirect-loop");

    if (path === "/redirect-private") {
      const target =
        url.searchParams.get("to") === "metadata"
          ? "http://169.254.169.254/latest"
          : "http://10.0.0.1/x.jpg";
      return redirect(res, target);
    }

    if (path === "/same-a.jpg" || path === "/same-b.jpg") {
      return sendBytes(res, 200, "image/jpeg", cachedImage("jpg", "same", 0));
    }

    sendStatus(res, 404);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    arrivedAt.push(Date.now());
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    let finished = false;
    res.once("close", () => {
      if (finished) return;
      finished = true;
      inFlight -= 1;
    });
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    res.once("finish", () => {
      deliveredCounts.set(url.pathname, (deliveredCounts.get(url.pathname) ?? 0) + 1);
    });
    if (isGateClosed && url.pathname !== "/health") {
      const waiting = { req, res };
      atGate.add(waiting);
      res.once("close", () => atGate.delete(waiting));
    } else {
      dispatch(req, res, url.searchParams);
    }
  };

  const dispatch = (req: IncomingMessage, res: ServerResponse, params: URLSearchParams) => {
    const delayMs = Number(params.get("delay") ?? 0);
    const hold = params.get("hold");
    if (hold !== null && !released.has(hold)) {
      const waiting = held.get(hold) ?? [];
      waiting.push(() => handle(req, res));
      held.set(hold, waiting);
    } else if (delayMs > 0) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        handle(req, res);
      }, delayMs);
      timers.add(timer);
    } else {
      handle(req, res);
    }
  };
  const server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    hits: (path) => hitCounts.get(path) ?? 0,
    peakConcurrency: () => peak,
    resetPeakConcurrency: () => {
      peak = inFlight;
    },
    arrivals: () => [...arrivedAt],
    release(name) {
      released.add(name);
      for (const answer of held.get(name) ?? []) answer();
      held.delete(name);
    },
    delivered: (path) => deliveredCounts.get(path) ?? 0,
    closeGate() {
      isGateClosed = true;
    },
    openGate() {
      isGateClosed = false;
      const waiting = [...atGate];
      atGate.clear();
      for (const { req, res } of waiting)
        if (!res.destroyed)
          dispatch(req, res, new URL(req.url ?? "/", "http://fake.invalid").searchParams);
    },
    waitingAtGate: () => atGate.size,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Stalled responses (slow-body) would otherwise keep close() waiting forever.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
