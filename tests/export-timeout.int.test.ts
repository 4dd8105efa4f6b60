// EXPORT_TASK_TIMEOUT: an export file that takes longer fails with the limit in its message, and
// the engine's query is stopped rather than left running.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, waitForJobEnd } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  app = await startTestApp({ EXPORT_TASK_TIMEOUT: "1" });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
});

it("fails a file that takes longer than the limit, with the limit in its message", async () => {
  const { receiveTableUpload } = await import("@/server/services/tables/receive-upload");
  const { startExport } = await import("@/server/services/tables/start-export");
  const lines = ["id,name,amount"];
  // an XLSX of this many rows takes seconds (about 55,000 rows a second on 2 cores)
  for (let i = 0; i < 300_000; i++) lines.push(`${i},name ${i},${i * 1.5}`);
  const csv = lines.join("\n");
  const table = await receiveTableUpload({
    body: new Blob([csv]).stream(),
    contentLength: Buffer.byteLength(csv),
    query: new URLSearchParams({ fileName: "slow.csv" }),
    createdById: app.userId,
  });
  const { jobId } = await startExport({
    tableId: table.id,
    outputs: [{ format: "xlsx" }],
    createdById: app.userId,
  });
  const job = await waitForJobEnd(app, jobId, 60_000);
  expect(job.status).toBe("failed");
  const outputs = await app.db.exportOutput.findMany({
    where: { jobId },
    orderBy: { position: "asc" },
  });
  expect(outputs.map((o) => [o.format, o.state])).toEqual([["xlsx", "failed"]]);
  expect(outputs[0]!.error).toBe(
    "the export took longer than 1 s (EXPORT_TASK_TIMEOUT) and was stopped",
  );
});
