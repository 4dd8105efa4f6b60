// The System page lists every web and worker process by its heartbeat: this one, others still
// answering, others gone quiet; a process stopped for an hour is forgotten.
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import packageJson from "@/package.json";
import { startTestApp } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
});

const at = (iso: string) => new Date(iso);

async function otherProcess(id: string, lastSeenAt: Date) {
  await app.db.appProcess.create({
    data: {
      id,
      host: `worker-${id}`,
      pid: 4242,
      mode: "worker",
      version: "0.0.9",
      startedAt: at("2026-12-05T08:00:00Z"),
      lastSeenAt,
      itemsInFlight: 7,
    },
  });
}

describe("the process list", () => {
  it("has this process from its first heartbeat, once, with what it is doing", async () => {
    const { beat, listAppProcesses } = await import("@/server/services/system/app-processes");
    const { trackDownload } = await import("@/server/jobs/job-activity");
    await beat("all", at("2026-12-05T10:00:00Z"));
    const download = trackDownload("job-1", { itemIds: ["i1"], productId: "p1", url: "u" });
    await beat("all", at("2026-12-05T10:00:15Z"));

    const [self, ...others] = await listAppProcesses(at("2026-12-05T10:00:20Z"));
    expect(others).toEqual([]);
    expect(self).toMatchObject({
      host: os.hostname(),
      pid: process.pid,
      mode: "all",
      version: packageJson.version,
      startedAt: at("2026-12-05T10:00:00Z"),
      lastSeenAt: at("2026-12-05T10:00:15Z"),
      itemsInFlight: 1,
      isAnswering: true,
      isThisProcess: true,
    });

    download.ends();
    await beat("all", at("2026-12-05T10:00:30Z"));
    const [again] = await listAppProcesses(at("2026-12-05T10:00:31Z"));
    expect(again?.itemsInFlight).toBe(0);
    expect(await app.db.appProcess.count()).toBe(1);
  });

  it("shows a process that went quiet as not answering, after those that answer", async () => {
    const { beat, listAppProcesses } = await import("@/server/services/system/app-processes");
    await otherProcess("quiet", at("2026-12-05T10:00:00Z"));
    await beat("all", at("2026-12-05T10:01:00Z"));
    const listed = await listAppProcesses(at("2026-12-05T10:01:05Z"));
    expect(listed.map((row) => [row.host, row.isAnswering])).toEqual([
      [os.hostname(), true],
      ["worker-quiet", false],
    ]);
    expect(listed[1]).toMatchObject({ mode: "worker", itemsInFlight: 7, isThisProcess: false });
  });

  it("forgets a process an hour after its last heartbeat, and this one when it stops", async () => {
    const { forgetStoppedProcesses, leave, listAppProcesses } =
      await import("@/server/services/system/app-processes");
    await otherProcess("gone", at("2026-12-05T08:30:00Z"));
    const now = at("2026-12-05T10:01:10Z");
    expect((await listAppProcesses(now)).map((row) => row.host)).not.toContain("worker-gone");
    expect(await forgetStoppedProcesses(now)).toBe(1);
    expect(await app.db.appProcess.findUnique({ where: { id: "quiet" } })).not.toBeNull();

    await leave();
    expect((await listAppProcesses(now)).map((row) => row.host)).toEqual(["worker-quiet"]);
  });
});
