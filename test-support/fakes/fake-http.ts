// Plumbing shared by the report fakes: loopback listener, body reading, small response helpers.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export type ListeningFake = { url: string; close(): Promise<void> };

const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

/**
 * With `tls` the fake serves HTTPS and its url names `localhost` (still bound to 127.0.0.1), so a
 * certificate made for localhost verifies: clients such as msal-node refuse plain-http authorities.
 */
export async function listenFake(
  port: number | undefined,
  handler: FakeHandler,
  tls?: { key: string; cert: string },
): Promise<ListeningFake> {
  const sockets = new Set<Socket>();
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    handler(req, res, url).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLarge) {
        sendText(res, 413, "Request body too large");
        return;
      }
      // A bug in a fake should surface loudly in the test that hit it.
      sendText(res, 500, `fake server error: ${error instanceof Error ? error.stack : error}`);
    });
  };
  const server = tls
    ? createTlsServer({ key: tls.key, cert: tls.cert }, listener)
    : createServer(listener);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  return {
    url: tls ? `https://localhost:${address.port}` : `http://127.0.0.1:${address.port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets and half-sent exports would otherwise hold close() open.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

export async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// "application/json; charset=utf-8" → "application/json"; "" when absent.
export function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

export function parseCookies(req: IncomingMessage): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return cookies;
}

export function bearerToken(req: IncomingMessage, schemes = ["bearer"]): string | undefined {
  const match = /^(\S+)\s+(\S+)\s*$/.exec(req.headers.authorization ?? "");
  if (!match || !schemes.includes(match[1]!.toLowerCase())) return undefined;
  return match[2];
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

type Headers = Record<string, string | string[] | number>;

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Headers = {},
  contentType = "text/plain; charset=utf-8",
) {
  const body = Buffer.from(text);
  res.writeHead(status, { "content-type": contentType, "content-length": body.length, ...headers });
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Headers = {},
  contentType = "application/json; charset=utf-8",
) {
  sendText(res, status, JSON.stringify(body), headers, contentType);
}

export function sendHtml(res: ServerResponse, status: number, html: string, headers: Headers = {}) {
  sendText(res, status, html, headers, "text/html; charset=utf-8");
}

export function redirect(res: ServerResponse, status: 302 | 308, location: string) {
  res.writeHead(status, { location, "content-length": 0 });
  res.end();
}

export function loginPageHtml(title: string): string {
  return [
    "<!DOCTYPE html>",
    `<html><head><title>${title}</title></head><body>`,
    '<form method="post" action="/login">',
    '<input name="username"><input name="password" type="password">',
    '<button type="submit">Log In</button></form>',
    "</body></html>",
    "",
  ].join("\n");
}

// Timestamp as used in export file names: 2026-11-23T10:15:00.000Z.
export function isoNow(): string {
  return new Date().toISOString();
}
