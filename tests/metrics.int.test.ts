// /metrics as Prometheus reads it: a token with the metrics scope (and nothing else), the text
// parsed by an independent Prometheus text-format parser, jobs and items by state read from the
// database, and this process's outside calls per host.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, waitForJobEnd } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let source: Server;
let sourceHost: string;
let metricsToken: string;

beforeAll(async () => {
  source = createServer((_request, response) =>
    response.writeHead(200, { "content-type": "text/csv" }).end("day,orders\nMon,12\nTue,9\n"),
  );
  await new Promise<void>((resolve) => source.listen(0, "127.0.0.1", resolve));
  sourceHost = `127.0.0.1:${(source.address() as AddressInfo).port}`;
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  const { createApiToken } = await import("@/server/services/tokens/api-tokens");
  metricsToken = (await createApiToken(app.userId, { name: "prometheus", scope: "metrics" })).token;
});

afterAll(async () => {
  await app?.stop();
  await new Promise((resolve) => source?.close(resolve));
});

async function scrape(token: string | null) {
  const route = await import("@/app/metrics/route");
  const headers = new Headers();
  if (token) headers.set("authorization", `Bearer ${token}`);
  return route.GET(new Request("http://127.0.0.1/metrics", { headers }));
}

describe("/metrics", () => {
  it("counts jobs, items and outside calls in Prometheus's text format", async () => {
    const { saveConnector } = await import("@/server/services/connectors/connectors");
    const { saveReport } = await import("@/server/services/reports/reports");
    const { startReportRun } = await import("@/server/services/reports/start-report-run");
    const { id: connectorId } = await saveConnector({
      name: "Shop",
      kind: "http",
      baseUrl: `http://${sourceHost}`,
      settings: { authMethod: "none" },
      secrets: {},
    });
    const { id: reportId } = await saveReport({
      name: "Orders",
      connectorId,
      query: { url: "/orders.csv" },
    });
    const { jobId } = await startReportRun({
      reportIds: [reportId],
      createdById: app.userId,
      maxConcurrency: 1,
      maxAttempts: 1,
    });
    expect((await waitForJobEnd(app, jobId)).status).toBe("completed");

    const response = await scrape(metricsToken);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const families = parsePrometheusTextFormat(text);
    const family = (name: string) => families.find((f) => f.name === name)!;
    const sample = (name: string, labels: Record<string, string>) =>
      family(name).metrics.find((m) =>
        Object.entries(labels).every(([key, value]) => m.labels?.[key] === value),
      );

    expect(family("datahaul_jobs").type).toBe("GAUGE");
    expect(sample("datahaul_jobs", { kind: "report_run", state: "completed" })?.value).toBe("1");
    expect(sample("datahaul_items", { kind: "report", state: "succeeded" })?.value).toBe("1");
    expect(family("datahaul_queue_depth").metrics[0]!.value).toBe("0");
    // the parser keeps a labelled histogram's buckets but not its labels: its count line is read
    // as the exposition format writes it
    expect(family("datahaul_http_request_duration_seconds").type).toBe("HISTOGRAM");
    const count = text.match(
      new RegExp(
        `^datahaul_http_request_duration_seconds_count\\{host="${sourceHost}",outcome="ok"\\} (\\d+)$`,
        "m",
      ),
    );
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(1);
    // the CSV's 24 bytes, fetched once
    expect(sample("datahaul_http_received_bytes_total", { host: sourceHost })?.value).toBe("24");
  });

  it("lets in a metrics token or an admin, and a metrics token nowhere else", async () => {
    expect((await scrape(null)).status).toBe(401);
    const { createApiToken } = await import("@/server/services/tokens/api-tokens");
    const readToken = (await createApiToken(app.userId, { name: "reader", scope: "read" })).token;
    const refused = await scrape(readToken);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe(
      'This API token\'s scope is "read"; /metrics needs "metrics" or "admin".',
    );
    const adminToken = (await createApiToken(app.userId, { name: "admin", scope: "admin" })).token;
    expect((await scrape(adminToken)).status).toBe(200);

    const { dispatchRest } = await import("@/server/api/rest/dispatch");
    const tables = await dispatchRest(
      new Request("http://127.0.0.1/api/v1/tables", {
        headers: { authorization: `Bearer ${metricsToken}` },
      }),
      ["tables"],
    );
    expect(tables.status).toBe(403);
    expect((await tables.json()).error.message).toBe(
      'This API token\'s scope is "metrics": it reads /metrics and nothing else.',
    );

    const viewer = await app.db.user.create({
      data: { id: crypto.randomUUID(), name: "V", email: "v@example.com", role: "viewer" },
    });
    await expect(createApiToken(viewer.id, { name: "scrape", scope: "metrics" })).rejects.toThrow(
      'Your role is viewer; a token with the "metrics" scope needs an admin.',
    );
  });
});
