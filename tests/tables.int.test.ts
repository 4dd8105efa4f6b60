// Tables end to end on the app's own services and worker: each upload format read and typed,
// transforms previewed, exports written in every format and read back by readers we did not write.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { parquetReadObjects } from "hyparquet";
import JSZip from "jszip";
import Papa from "papaparse";
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeCsvHost } from "@/test-support/fakes/csv-host";
import { SMALL_SALES } from "@/test-support/fakes/report-data";
import { readStoredBlob, startTestApp, waitFor, waitForJobEnd } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let scratch: string;
let csvHost: Awaited<ReturnType<typeof startFakeCsvHost>>;

const services = async () => ({
  upload: await import("@/server/services/tables/receive-upload"),
  tables: await import("@/server/services/tables/tables"),
  transforms: await import("@/server/services/tables/transforms"),
  exports: await import("@/server/services/tables/start-export"),
  progress: await import("@/server/services/tables/export-progress"),
  actions: await import("@/server/services/jobs/job-actions"),
});

beforeAll(async () => {
  csvHost = await startFakeCsvHost();
  app = await startTestApp({ MAX_UPLOAD_MB: "2" });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-tables-"));
});

afterAll(async () => {
  await app?.stop();
  await csvHost?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function upload(bytes: Uint8Array | string, query: Record<string, string>) {
  const { upload } = await services();
  const data = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes);
  return upload.receiveTableUpload({
    body: new Blob([data]).stream(),
    contentLength: data.byteLength,
    query: new URLSearchParams(query),
    createdById: app.userId,
  });
}

const SALES_CSV = [
  "sku;region;units;price;ordered;note",
  "00123;North;3;9.5;31/01/2024;first",
  "00124;South;10;2.25;01/02/2024;",
  "00125;North;7;4;15/02/2024;Größe M",
  "00123;North;3;9.5;31/01/2024;first",
].join("\r\n");

async function exportAndWait(
  input: Parameters<Awaited<ReturnType<typeof services>>["exports"]["startExport"]>[0],
) {
  const { exports, progress } = await services();
  const { jobId } = await exports.startExport(input);
  await waitForJobEnd(app, jobId);
  return (await progress.getExportProgress(jobId))!;
}

describe("uploads", () => {
  it("reads a semicolon CSV with text codes, day-first dates and accents, typed per column", async () => {
    const table = await upload(iconv.encode(SALES_CSV, "windows-1252"), { fileName: "sales.csv" });
    expect(table.name).toBe("sales");
    expect(table.rows).toBe(4);
    expect(table.columns).toEqual([
      { name: "sku", type: "text" },
      { name: "region", type: "text" },
      { name: "units", type: "integer" },
      { name: "price", type: "number" },
      { name: "ordered", type: "date", dateOrder: "day-first" },
      { name: "note", type: "text" },
    ]);
    expect(table.notes.join(" ")).toMatch(/Windows-1252/);
    const { transforms } = await services();
    const preview = await transforms.previewTransform({ tableId: table.id, steps: [] });
    expect(preview.rows[0]).toEqual(["00123", "North", 3, 9.5, "2024-01-31", "first"]);
    expect(preview.rows[2]![5]).toBe("Größe M");
  });

  it("leaves dates that read both ways as text, with a note", async () => {
    const table = await upload("id,when\n1,03/04/2024\n2,05/06/2024\n", {
      fileName: "ambiguous.csv",
    });
    expect(table.columns[1]).toEqual({ name: "when", type: "text" });
    expect(table.notes.join(" ")).toMatch(/both day-first and month-first/);
  });

  it("reads JSON arrays with nested objects as dotted columns, and NDJSON", async () => {
    const json = JSON.stringify([
      { id: 1, customer: { name: "Ann", address: { city: "Oslo" } }, tags: ["a", "b"] },
      { id: 2, customer: { name: "Bo", address: { city: "Rome" } }, tags: [] },
    ]);
    const table = await upload(json, { fileName: "orders.json" });
    expect(table.columns.map((c) => c.name)).toEqual([
      "id",
      "customer.name",
      "customer.address.city",
      "tags",
    ]);
    const lines = '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n';
    const nd = await upload(lines, { fileName: "lines.ndjson" });
    expect(nd.rows).toBe(2);
    expect(nd.columns).toEqual([
      { name: "a", type: "integer" },
      { name: "b", type: "text" },
    ]);
  });

  it("reads a chosen sheet of a workbook, and a table inside a ZIP", async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet("Notes").addRow(["nothing here"]);
    const sheet = workbook.addWorksheet("Data");
    sheet.addRow(["code", "amount", "day"]);
    sheet.addRow(["007", 12.5, new Date(Date.UTC(2024, 2, 1))]);
    sheet.addRow(["008", 3, new Date(Date.UTC(2024, 2, 2))]);
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    const table = await upload(xlsx, { fileName: "book.xlsx", sheet: "Data" });
    expect(table.columns).toEqual([
      { name: "code", type: "text" },
      { name: "amount", type: "number" },
      { name: "day", type: "date", dateOrder: "iso" },
    ]);
    const zip = new JSZip();
    zip.file("readme.txt.md", "not a table");
    zip.file("data/first.csv", "a,b\n1,2\n");
    zip.file("data/book.xlsx", xlsx);
    const zipped = await upload(await zip.generateAsync({ type: "uint8array" }), {
      fileName: "bundle.zip",
      entry: "data/book.xlsx",
      sheet: "Data",
    });
    expect(zipped.rows).toBe(2);
    expect(zipped.notes).toContain(
      "Tables in the ZIP (upload it again with another to read that one): data/first.csv, data/book.xlsx.",
    );
    await expect(
      upload(await zip.generateAsync({ type: "uint8array" }), {
        fileName: "bundle.zip",
        entry: "nope.csv",
      }),
    ).rejects.toThrow(
      "'bundle.zip' has no table called 'nope.csv'; it holds: data/first.csv, data/book.xlsx",
    );
  });

  it("refuses a file over the limit, one with no rows, and one it cannot read, leaving nothing", async () => {
    const before = await app.db.dataTable.count();
    await expect(
      upload(Buffer.alloc(3 * 1024 * 1024, 97), { fileName: "big.csv" }),
    ).rejects.toThrow("The file is larger than 2 MB, the most an upload may hold (MAX_UPLOAD_MB).");
    await expect(upload("a,b\n", { fileName: "empty.csv" })).rejects.toThrow(
      "'empty.csv' has no rows below its header.",
    );
    await expect(upload(Buffer.from([0, 1, 2, 0, 3]), { fileName: "blob.bin" })).rejects.toThrow(
      "'blob.bin' is not a table DataHaul can read.",
    );
    expect(await app.db.dataTable.count()).toBe(before);
  });
});

describe("transforms and exports", () => {
  it("previews each step and names the step that fails in plain words", async () => {
    const table = await upload(SALES_CSV, { fileName: "preview.csv" });
    const { transforms } = await services();
    const preview = await transforms.previewTransform({
      tableId: table.id,
      steps: [
        { kind: "dedupe", columns: [], keep: "first" },
        { kind: "compute", name: "revenue", expression: "units * price" },
        {
          kind: "filter",
          match: "all",
          conditions: [{ column: "revenue", operator: "at_least", value: 20 }],
        },
        { kind: "sort", keys: [{ column: "revenue", descending: true }] },
        { kind: "select", columns: [{ column: "sku" }, { column: "revenue", name: "Revenue" }] },
      ],
    });
    expect(preview.steps.map((s) => s.status)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(preview.rowCount).toBe(3);
    expect(preview.rows).toEqual(
      [
        ["00125", 28],
        ["00123", 28.5],
        ["00124", 22.5],
      ].sort((a, b) => (b[1] as number) - (a[1] as number)),
    );
    expect(preview.columns).toEqual([
      { name: "sku", type: "text" },
      { name: "Revenue", type: "number" },
    ]);
    const broken = await transforms.previewTransform({
      tableId: table.id,
      steps: [
        {
          kind: "filter",
          match: "all",
          conditions: [{ column: "region", operator: "equals", value: "north" }],
        },
        { kind: "select", columns: [{ column: "revenue" }] },
        { kind: "sort", keys: [{ column: "sku", descending: false }] },
      ],
    });
    expect(broken.steps.map((s) => s.status)).toEqual(["ok", "failed", "not_run"]);
    expect(broken.steps[1]!.message).toBe(
      "column 'revenue' not found; columns are: sku, region, units, price, ordered, note",
    );
    expect(broken.shownStep).toBe(0);
    expect(broken.rowCount).toBe(3);
  });

  it("exports every format, each read back by an independent reader, and the ZIP of them", async () => {
    const table = await upload(SALES_CSV, { fileName: "formats.csv" });
    const { transforms } = await services();
    const transform = await transforms.createTransform({
      name: "North sales",
      tableId: table.id,
      steps: [
        {
          kind: "filter",
          match: "all",
          conditions: [{ column: "region", operator: "equals", value: "North" }],
        },
        { kind: "compute", name: "revenue", expression: "units * price" },
      ],
      outputs: [
        { format: "csv", delimiter: ";", quote: "minimal", bom: true, lineEnding: "crlf" },
        { format: "xlsx", delimiter: ",", quote: "minimal", bom: false, lineEnding: "lf" },
        { format: "parquet", delimiter: ",", quote: "minimal", bom: false, lineEnding: "lf" },
        { format: "json", delimiter: ",", quote: "minimal", bom: false, lineEnding: "lf" },
        { format: "ndjson", delimiter: ",", quote: "minimal", bom: false, lineEnding: "lf" },
      ],
    });
    const state = await exportAndWait({ transformId: transform.id, createdById: app.userId });
    expect(state.job.status).toBe("completed");
    expect(state.outputs.map((o) => [o.fileName, o.state, o.rows])).toEqual([
      ["North sales.csv", "succeeded", 3],
      ["North sales.xlsx", "succeeded", 3],
      ["North sales.parquet", "succeeded", 3],
      ["North sales.json", "succeeded", 3],
      ["North sales.ndjson", "succeeded", 3],
    ]);
    const rows = await app.db.exportOutput.findMany({
      where: { jobId: state.job.id },
      orderBy: { position: "asc" },
    });
    const bytes = rows.map((row) => readStoredBlob(app.dataDir, row.sha256!));
    bytes.forEach((data, i) => expect(data.byteLength).toBe(rows[i]!.bytes));

    const csv = bytes[0]!;
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.toString("utf8")).toContain("\r\n");
    const parsed = Papa.parse<string[]>(csv.toString("utf8").slice(1), {
      delimiter: ";",
      skipEmptyLines: true,
    });
    expect(parsed.data).toEqual([
      ["sku", "region", "units", "price", "ordered", "note", "revenue"],
      ["00123", "North", "3", "9.5", "2024-01-31", "first", "28.5"],
      ["00125", "North", "7", "4.0", "2024-02-15", "Größe M", "28.0"],
      ["00123", "North", "3", "9.5", "2024-01-31", "first", "28.5"],
    ]);

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(bytes[1]!).buffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });
    expect(sheet.getRow(2).getCell(1).value).toBe("00123");
    expect(sheet.getRow(2).getCell(3).value).toBe(3);
    expect(sheet.getRow(2).getCell(5).value).toEqual(new Date(Date.UTC(2024, 0, 31)));

    const buffer = bytes[2]!;
    const file = new Uint8Array(buffer).buffer;
    const parquetRows = await parquetReadObjects({ file });
    expect(parquetRows.map((r) => [r.sku, Number(r.units), r.revenue])).toEqual([
      ["00123", 3, 28.5],
      ["00125", 7, 28],
      ["00123", 3, 28.5],
    ]);

    expect(JSON.parse(bytes[3]!.toString("utf8"))[1]).toEqual({
      sku: "00125",
      region: "North",
      units: 7,
      price: 4,
      ordered: "2024-02-15",
      note: "Größe M",
      revenue: 28,
    });
    expect(
      bytes[4]!
        .toString("utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line).sku),
    ).toEqual(["00123", "00125", "00123"]);

    const { listJobPage } = await import("@/server/services/jobs/list-jobs");
    const listed = (await listJobPage({ kind: "export" })).jobs.find((j) => j.id === state.job.id);
    expect(listed).toMatchObject({ kind: "export", totalItems: 5, done: 5, failed: 0 });

    const { buildExportArchive } = await import("@/server/services/tables/export-files");
    const archive = await buildExportArchive(state.job.id);
    const zipPath = path.join(scratch, archive.fileName);
    const chunks: Buffer[] = [];
    for await (const chunk of archive.open()) chunks.push(Buffer.from(chunk as Buffer));
    fs.writeFileSync(zipPath, Buffer.concat(chunks));
    expect(fs.statSync(zipPath).size).toBe(archive.size);
    expect(execFileSync("unzip", ["-t", zipPath], { encoding: "utf8" })).toContain(
      "No errors detected",
    );
  });

  it("fails an export whose step cannot run with the step's message", async () => {
    const table = await upload(SALES_CSV, { fileName: "failing.csv" });
    const state = await exportAndWait({
      tableId: table.id,
      steps: [{ kind: "group", by: ["region"], aggregates: [{ function: "sum", column: "note" }] }],
      createdById: app.userId,
    });
    expect(state.job.status).toBe("failed");
    expect(state.outputs[0]!.error).toBe(
      "step 1: the sum needs numbers, and 'note' is text: change its type first",
    );
  });

  it("lists a failed export that followed a scheduled run on the dashboard, under its schedule", async () => {
    const table = await upload(SALES_CSV, { fileName: "scheduled.csv" });
    const schedule = await app.db.schedule.create({
      data: { name: "Mornings", kind: "interval", intervalMinutes: 60, createdById: app.userId },
    });
    const { exports } = await services();
    const { jobId } = await exports.startExport({
      tableId: table.id,
      steps: [{ kind: "select", columns: [{ column: "nope" }] }],
      createdById: app.userId,
      scheduleId: schedule.id,
    });
    await waitForJobEnd(app, jobId);
    const { listFailedScheduledRuns } = await import("@/server/services/schedules/schedules");
    expect((await listFailedScheduledRuns()).find((run) => run.jobId === jobId)).toMatchObject({
      scheduleName: "Mornings",
      status: "failed",
      exportTitle: "scheduled",
    });
  });

  it("finishes a file a dead worker held once its lease runs out, though the job was handed on before", async () => {
    const table = await upload(SALES_CSV, { fileName: "handed-on.csv" });
    const { exports, progress } = await services();
    const { jobId } = await exports.startExport({
      tableId: table.id,
      outputs: [{ format: "csv" }, { format: "json" }],
      createdById: app.userId,
    });
    await waitForJobEnd(app, jobId);
    // as a worker killed while writing the second file leaves it: running, its lease still on
    const second = await app.db.exportOutput.findFirstOrThrow({ where: { jobId, position: 1 } });
    await app.db.$transaction([
      app.db.job.update({ where: { id: jobId }, data: { status: "running", finishedAt: null } }),
      app.db.exportOutput.update({
        where: { id: second.id },
        data: {
          state: "running",
          sha256: null,
          bytes: null,
          rows: null,
          leaseUntil: new Date(Date.now() + 1500),
        },
      }),
    ]);
    const { enqueueJob } = await import("@/server/services/jobs/enqueue-job");
    await enqueueJob({ id: jobId, kind: "export" });
    const ended = await waitFor(async () => {
      const job = await app.db.job.findUnique({ where: { id: jobId } });
      return job?.status === "completed" ? job : null;
    });
    expect(ended.finishedAt).not.toBeNull();
    const state = (await progress.getExportProgress(jobId))!;
    expect(state.outputs.map((o) => [o.state, o.rows])).toEqual([
      ["succeeded", 4],
      ["succeeded", 4],
    ]);
  });

  it("cancels an export while it writes", async () => {
    const lines = ["id,name,amount"];
    for (let i = 0; i < 60_000; i++) lines.push(`${i},name ${i},${i * 1.5}`);
    const table = await upload(lines.join("\n"), { fileName: "long.csv" });
    const { exports, actions, progress } = await services();
    const { jobId } = await exports.startExport({
      tableId: table.id,
      outputs: Array.from({ length: 6 }, () => ({
        format: "xlsx" as const,
        delimiter: "," as const,
        quote: "minimal" as const,
        bom: false,
        lineEnding: "lf" as const,
      })),
      createdById: app.userId,
    });
    await waitFor(async () => {
      const state = await progress.getExportProgress(jobId);
      return state?.outputs.some((o) => o.state === "running") ? state : null;
    });
    await actions.cancelJob(jobId);
    const ended = await waitFor(async () => {
      const job = await app.db.job.findUnique({ where: { id: jobId } });
      const running = await app.db.exportOutput.count({ where: { jobId, state: "running" } });
      return job?.status === "cancelled" && running === 0 ? job : null;
    });
    expect(ended.status).toBe("cancelled");
    const states = (await progress.getExportProgress(jobId))!.outputs.map((o) => o.state);
    expect(states).toContain("cancelled");
    expect(states.filter((s) => s === "succeeded").length).toBeLessThan(6);
  });
});

describe("a report's output as a table", () => {
  it("reads the latest successful run, and exports after each run when the transform asks", async () => {
    const { tables, transforms, progress } = await services();
    const { saveConnector } = await import("@/server/services/connectors/connectors");
    const { saveReport } = await import("@/server/services/reports/reports");
    const { startReportRun } = await import("@/server/services/reports/start-report-run");
    const connector = await saveConnector({
      name: "Shop files",
      kind: "http",
      baseUrl: csvHost.url,
      settings: { authMethod: "none" },
      secrets: {},
    });
    const report = await saveReport({
      name: "Sales feed",
      connectorId: connector.id,
      query: { url: "/exports/sales.csv" },
    });
    const table = await tables.createReportTable({ reportId: report.id, createdById: app.userId });
    await expect(transforms.previewTransform({ tableId: table.id, steps: [] })).rejects.toThrow(
      "The report 'Sales feed' has no successful run yet: run it first.",
    );
    const transform = await transforms.createTransform({
      name: "Sales feed by region",
      tableId: table.id,
      steps: [{ kind: "group", by: ["region"], aggregates: [{ function: "count" }] }],
      outputs: [{ format: "csv" }],
      exportAfterReportRun: true,
    });

    const { jobId: runId } = await startReportRun({
      reportIds: [report.id],
      createdById: app.userId,
    });
    await waitForJobEnd(app, runId);
    const exportJob = await waitFor(() =>
      app.db.job.findFirst({ where: { kind: "export", options: { contains: runId } } }),
    );
    await waitForJobEnd(app, exportJob.id);
    const state = (await progress.getExportProgress(exportJob.id))!;
    expect(state.job.status).toBe("completed");
    expect(state.job.transformId).toBe(transform.id);
    const regions = new Set(
      Array.from({ length: SMALL_SALES.rowCount }, (_, i) => SMALL_SALES.row(i)[0]),
    );
    expect(state.outputs[0]!.rows).toBe(regions.size);

    const preview = await transforms.previewTransform({ tableId: table.id, steps: [] });
    expect(preview.rowCount).toBe(SMALL_SALES.rowCount);
    expect(preview.columns.map((c) => c.name)).toEqual(SMALL_SALES.columns);
    expect((await tables.getTable(table.id)).columns.map((c) => c.name)).toEqual(
      SMALL_SALES.columns,
    );
    expect((await tables.getTable(table.id)).rows).toBe(SMALL_SALES.rowCount);

    // a table fixed to this run reads it while the run is kept, and says so plainly once it is gone
    expect(await tables.listReportRunsOf(report.id)).toEqual([
      expect.objectContaining({ jobId: runId, rows: SMALL_SALES.rowCount }),
    ]);
    const fixed = await tables.createReportTable({
      reportId: report.id,
      runJobId: runId,
      createdById: app.userId,
    });
    expect(fixed.runJobId).toBe(runId);
    expect((await transforms.previewTransform({ tableId: fixed.id, steps: [] })).rowCount).toBe(
      SMALL_SALES.rowCount,
    );
    const { jobId: secondRun } = await startReportRun({
      reportIds: [report.id],
      createdById: app.userId,
    });
    await waitForJobEnd(app, secondRun);
    const { deleteJob } = await import("@/server/services/jobs/job-actions");
    await deleteJob(runId);
    await expect(transforms.previewTransform({ tableId: fixed.id, steps: [] })).rejects.toThrow(
      "The run of 'Sales feed' this table reads is gone (deleted, or past the retention): add the table again from another run, or from the latest.",
    );
    expect((await transforms.previewTransform({ tableId: table.id, steps: [] })).rowCount).toBe(
      SMALL_SALES.rowCount,
    );
  });
});
