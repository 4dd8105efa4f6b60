// Pacing at Google's real limit, measured from the fake's own request log: twenty pushes to
// twenty sheets under one service account need 80 write requests, 20 more than Google's 60 a
// minute allow, so the last ones must wait for the window to slide, and none may be refused.
// It takes a little over a minute by design (the quota is a per-minute one); SQLite run only.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeGoogle, type FakeGoogle } from "@/e2e/fakes/google-sheets";
import { uploadOrdersTable } from "./support/orders-table";
import { startTestApp, waitForJobEnd } from "./support/test-app";

const PUSHES = 20;
const WINDOW_MS = 60_000;
const LIMIT = 60;

let app: Awaited<ReturnType<typeof startTestApp>>;
let google: FakeGoogle;

beforeAll(async () => {
  google = await startFakeGoogle();
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await google?.close();
});

it("keeps every 60-second window at or under 60 writes per service account across jobs, with no 429", async () => {
  const { saveConnector } = await import("@/server/services/connectors/connectors");
  const { startPush } = await import("@/server/services/destinations/start-push");
  const tableId = await uploadOrdersTable(20, app.userId);
  const spreadsheetId = google.addSpreadsheet({ title: "Regional sheets", sheets: ["Sheet1"] });
  const jobIds: string[] = [];
  for (let i = 1; i <= PUSHES; i++) {
    const { id } = await saveConnector({
      name: `Region ${i}`,
      kind: "google-sheets",
      baseUrl: google.url,
      settings: { spreadsheet: spreadsheetId, sheetName: `Region ${i}` },
      secrets: { serviceAccountKey: JSON.stringify(google.serviceAccountKey) },
    });
    jobIds.push(
      (await startPush({ connectorId: id, tableId, mode: "replace", createdById: app.userId }))
        .jobId,
    );
  }
  for (const jobId of jobIds)
    expect((await waitForJobEnd(app, jobId, 150_000)).status, jobId).toBe("completed");

  const writes = google.requests
    .filter((r) => r.method !== "GET" && r.path.startsWith("/v4/spreadsheets/"))
    .map((r) => r.at)
    .sort((a, b) => a - b);
  // addSheet, clear, resize and the values: the table's 21 rows fit one write
  expect(writes).toHaveLength(PUSHES * 4);
  expect(google.requests.filter((r) => r.status === 429)).toEqual([]);
  let busiest = 0;
  for (const [i, at] of writes.entries()) {
    const inWindow = writes.slice(0, i + 1).filter((t) => t > at - WINDOW_MS).length;
    busiest = Math.max(busiest, inWindow);
  }
  expect(busiest).toBeLessThanOrEqual(LIMIT);
  // the 61st write waited for the first one's minute to pass (the fake stamps arrivals)
  expect(writes[LIMIT]! - writes[0]!).toBeGreaterThanOrEqual(WINDOW_MS - 1_000);
  for (let i = 1; i <= PUSHES; i++)
    expect(google.values(spreadsheetId, `Region ${i}`), `Region ${i}`).toHaveLength(21);
}, 200_000);
