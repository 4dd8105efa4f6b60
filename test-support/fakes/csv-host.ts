// Fake plain-CSV host: ordinary GET downloads plus the usual ways such URLs go wrong (login page
// with 200, redirect, 404, 503 once, auth, compressed bodies, other character sets, a JSON error
// with status 200). What it serves, and the sources: docs/fakes.md.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import zlib from "node:zlib";
import {
  bearerToken,
  listenFake,
  loginPageHtml,
  redirect,
  sendHtml,
  sendJson,
  sendText,
} from "./fake-http";
import {
  bigTable,
  csvText,
  drainedOrClosed,
  jsonArrayPieces,
  rowObjects,
  SMALL_SALES,
  writeChunks,
  writeCsv,
} from "./report-data";

export type FakeCsvHostOptions = {
  port?: number;
  // When none is set, /exports/protected.csv is served to anyone.
  basicAuth?: { user: string; password: string };
  bearerToken?: string;
  // A custom header carrying a secret, e.g. { name: "x-export-key", value: "…" }.
  secretHeader?: { name: string; value: string };
  // Where /exports/to-cdn.csv redirects (another origin), e.g. a second host's /exports/sales.csv.
  cdnUrl?: string;
};

export type FakeCsvHost = {
  url: string;
  close(): Promise<void>;
  // Requests per path, query string excluded.
  hits(path: string): number;
  // The headers of the last request to a path, as received.
  lastHeaders(path: string): Record<string, string | string[] | undefined> | undefined;
};

// € “quoted” – Š, then é ü: bytes 0x80-0x9F, where Windows-1252 and Latin-1 differ
const WINDOWS_1252_CSV = Buffer.from([
  ...Buffer.from("name,price\r\n"),
  ...[0x80, 0x20, 0x93, 0x71, 0x94, 0x20, 0x96, 0x20, 0x8a, 0x2c, 0x31, 0x0d, 0x0a],
  ...[0xe9, 0xfc, 0x2c, 0x32, 0x0d, 0x0a],
]);
export const WINDOWS_1252_CSV_AS_UTF8 = "name,price\r\n€ “q” – Š,1\r\néü,2\r\n";
const BIG_JSON_ROWS = 50_000;
// about 1 MB of row objects; /exports/huge.json sends the same block again and again
export const HUGE_JSON_ROWS_PER_BLOCK = 15_000;
const HUGE_JSON_BLOCK = Array.from({ length: HUGE_JSON_ROWS_PER_BLOCK }, (_, i) =>
  JSON.stringify({ id: i, name: `customer-${i}`, amount: (i % 1000) + 0.5, tags: ["a", "b"] }),
).join(",");

const CSV_TYPE = "text/csv; charset=utf-8";
const BIG_ROWS = 100_000;

function entityTag(body: string): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
}

function sendCsvText(req: IncomingMessage, res: ServerResponse, body: string) {
  const etag = entityTag(body);
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, { etag });
    res.end();
    return;
  }
  sendText(res, 200, body, { etag }, CSV_TYPE);
}

export async function startFakeCsvHost(options: FakeCsvHostOptions = {}): Promise<FakeCsvHost> {
  const hitCounts = new Map<string, number>();
  const salesCsv = csvText(SMALL_SALES, { lineEnding: "\r\n" });
  const bomCsv = csvText(SMALL_SALES, { lineEnding: "\n", bom: true });

  function authorized(req: IncomingMessage): boolean {
    const { basicAuth } = options;
    if (!basicAuth && options.bearerToken === undefined && !options.secretHeader) return true;
    if (hasSecretHeader(req)) return true;
    const bearer = bearerToken(req);
    if (options.bearerToken !== undefined && bearer === options.bearerToken) return true;
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!basicAuth || !basic) return false;
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return (
      colon >= 0 &&
      decoded.slice(0, colon) === basicAuth.user &&
      decoded.slice(colon + 1) === basicAuth.password
    );
  }

  const seenHeaders = new Map<string, Record<string, string | string[] | undefined>>();

  function hasSecretHeader(req: IncomingMessage): boolean {
    const header = options.secretHeader;
    return header !== undefined && req.headers[header.name.toLowerCase()] === header.value;
  }

  const server = await listenFake(options.port, async (req, res, url) => {
    const path = url.pathname;
    const hits = (hitCounts.get(path) ?? 0) + 1;
    hitCounts.set(path, hits);
    seenHeaders.set(path, { ...req.headers });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendText(res, 405, "Method Not Allowed", { allow: "GET, HEAD" });
    }

    switch (path) {
      case "/health":
        return sendText(res, 200, "ok\n");
      case "/exports/sales.csv":
        return sendCsvText(req, res, salesCsv);
      case "/exports/bom.csv":
        return sendCsvText(req, res, bomCsv);
      case "/exports/big.csv":
        res.writeHead(200, { "content-type": CSV_TYPE });
        return writeCsv(res, bigTable(BIG_ROWS), { lineEnding: "\r\n" });
      case "/exports/login.csv":
        // A captive/login page with status 200: only sniffing the body reveals it.
        return sendHtml(res, 200, loginPageHtml("Sign in"));
      case "/exports/missing.csv":
        return sendText(res, 404, "Not Found");
      case "/exports/redirect.csv":
        return redirect(res, 302, "/exports/sales.csv");
      case "/exports/flaky.csv":
        if (hits === 1) {
          return sendText(res, 503, "Service Unavailable", { "retry-after": "1" });
        }
        return sendCsvText(req, res, salesCsv);
      case "/exports/data.json":
        return sendJson(res, 200, [...rowObjects(SMALL_SALES)]);
      case "/exports/gzip.csv":
      case "/exports/br.csv": {
        // compressed whether asked for or not, as the testers' server did
        const coding = path === "/exports/gzip.csv" ? "gzip" : "br";
        const body = Buffer.from(salesCsv);
        const coded = coding === "gzip" ? zlib.gzipSync(body) : zlib.brotliCompressSync(body);
        res.writeHead(200, {
          "content-type": CSV_TYPE,
          "content-encoding": coding,
          "content-length": coded.length,
        });
        return void res.end(coded);
      }
      case "/exports/zstd.csv":
        res.writeHead(200, { "content-type": CSV_TYPE, "content-encoding": "zstd" });
        return void res.end(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00]));
      case "/exports/windows-1252.csv":
        res.writeHead(200, {
          "content-type": `text/csv; charset=${url.searchParams.get("charset") ?? "windows-1252"}`,
          "content-length": WINDOWS_1252_CSV.length,
        });
        return void res.end(WINDOWS_1252_CSV);
      case "/exports/utf16.csv": {
        const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(salesCsv, "utf16le")]);
        res.writeHead(200, { "content-type": "text/csv", "content-length": body.length });
        return void res.end(body);
      }
      case "/exports/always-500.csv":
        return sendText(res, 500, "Internal Server Error");
      case "/exports/rate-limited-long.csv":
        return sendText(res, 429, "Too Many Requests", { "retry-after": "7200" });
      case "/exports/json-error.csv": {
        // a 200 whose body is a JSON error with a long trace, well over 64 KB
        const trace = Array.from(
          { length: 2000 },
          (_, i) => `at com.example.Export.step${i}(Export.java:${i})`,
        );
        return sendJson(res, 200, {
          error: "Export failed: the query timed out",
          stacktrace: trace,
        });
      }
      case "/exports/to-cdn.csv":
        if (!options.cdnUrl) return sendText(res, 404, "Not Found");
        return redirect(res, 302, options.cdnUrl);
      case "/exports/big.json":
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        await writeChunks(res, jsonArrayPieces(rowObjects(bigTable(BIG_JSON_ROWS))));
        if (!res.destroyed) res.end();
        return;
      case "/exports/huge.json": {
        // `mb` megabytes of one block of objects sent again and again: a report too big to hold
        const blocks = Math.max(1, Number(url.searchParams.get("mb") ?? 60));
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        const pieces = function* () {
          for (let i = 0; i < blocks; i += 1)
            yield i === 0 ? `[${HUGE_JSON_BLOCK}` : `,${HUGE_JSON_BLOCK}`;
          yield "]";
        };
        for (const piece of pieces()) {
          if (res.destroyed) return;
          if (!res.write(piece)) await drainedOrClosed(res);
        }
        if (!res.destroyed) res.end();
        return;
      }
      case "/exports/broken.json":
        return sendText(res, 200, '[{"id":1},{"id":2}', {}, "application/json");
      case "/exports/protected.csv":
        if (!authorized(req)) {
          return sendText(res, 401, "Unauthorized", {
            "www-authenticate": 'Basic realm="exports", charset="UTF-8"',
          });
        }
        return sendCsvText(req, res, salesCsv);
      default:
        return sendText(res, 404, "Not Found");
    }
  });

  return {
    url: server.url,
    close: () => server.close(),
    hits: (path) => hitCounts.get(path) ?? 0,
    lastHeaders: (path) => seenHeaders.get(path),
  };
}
