// Fake plain-CSV host (see /work/shared/upstream-contracts.md §0 and §8): ordinary GET downloads
// plus the usual ways such URLs go wrong (login page with 200, redirect, 404, 503 once, auth).
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  bearerToken,
  listenFake,
  loginPageHtml,
  redirect,
  sendHtml,
  sendJson,
  sendText,
} from "./fake-http";
import { bigTable, csvText, rowObjects, SMALL_SALES, writeCsv } from "./report-data";

export type FakeCsvHostOptions = {
  port?: number;
  // When neither is set, /exports/protected.csv is served to anyone.
  basicAuth?: { user: string; password: string };
  bearerToken?: string;
};

export type FakeCsvHost = {
  url: string;
  close(): Promise<void>;
  // Requests per path, query string excluded.
  hits(path: string): number;
};

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
    if (!basicAuth && options.bearerToken === undefined) return true;
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

  const server = await listenFake(options.port, async (req, res, url) => {
    const path = url.pathname;
    const hits = (hitCounts.get(path) ?? 0) + 1;
    hitCounts.set(path, hits);
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
  };
}
