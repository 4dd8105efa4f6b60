import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export type TWebhookCall = {
  headers: IncomingHttpHeaders;
  body: string;
  /** what the receiver answered */
  status: number;
  verdict: "accepted" | "bad signature" | "stale timestamp" | "scripted";
};

export type TWebhookReceiver = {
  url: string;
  calls: TWebhookCall[];
  /** the next calls get these answers before any check (a busy receiver), in order */
  answerNext(...answers: Array<{ status: number; headers?: Record<string, string> }>): void;
  /** the receiver's clock, for its freshness check; the real one unless set */
  setNow(now: () => number): void;
  close(): Promise<void>;
};

/**
 * An HTTP receiver on 127.0.0.1 that checks DataHaul's signature the way a customer's endpoint
 * would, with its own code and nothing of ours: HMAC-SHA256 of `<timestamp>.<raw body>` in
 * `X-DataHaul-Signature: sha256=<hex>`, and a timestamp no more than five minutes from its clock
 * (a captured call replayed later is refused).
 */
export async function startWebhookReceiver(
  secret: string,
  toleranceSeconds = 300,
): Promise<TWebhookReceiver> {
  const calls: TWebhookCall[] = [];
  const scripted: Array<{ status: number; headers?: Record<string, string> }> = [];
  let now = () => Date.now();

  const verdictOf = (headers: IncomingHttpHeaders, body: string): TWebhookCall["verdict"] => {
    const timestamp = String(headers["x-datahaul-timestamp"] ?? "");
    const signature = String(headers["x-datahaul-signature"] ?? "");
    const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
    const isSigned =
      signature.length === expected.length &&
      timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
    if (!isSigned) return "bad signature";
    if (!/^\d+$/.test(timestamp) || Math.abs(now() / 1000 - Number(timestamp)) > toleranceSeconds) {
      return "stale timestamp";
    }
    return "accepted";
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const next = scripted.shift();
      if (next) {
        calls.push({ headers: request.headers, body, status: next.status, verdict: "scripted" });
        response.writeHead(next.status, { "content-type": "text/plain", ...next.headers });
        response.end("busy, try later");
        return;
      }
      const verdict = verdictOf(request.headers, body);
      const status = verdict === "accepted" ? 200 : 401;
      calls.push({ headers: request.headers, body, status, verdict });
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(verdict === "accepted" ? { ok: true } : { error: verdict }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/datahaul`,
    calls,
    answerNext(...answers) {
      scripted.push(...answers);
    },
    setNow(clock) {
      now = clock;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
