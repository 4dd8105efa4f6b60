import { describe, expect, it } from "vitest";
import { resolveRunMode } from "./run-mode";

const secrets = { AUTH_SECRET: "a".repeat(32), SECRET_KEY: "k".repeat(44) };

describe("resolveRunMode", () => {
  it("is the embedded default with nothing set, and needs no secrets then", () => {
    expect(resolveRunMode({ QUEUE: "in-process" })).toEqual({
      isOk: true,
      runMode: "all",
      isEmbedded: true,
    });
  });

  it("takes RUN_WORKER as the older name of RUN_MODE", () => {
    expect(resolveRunMode({ QUEUE: "bullmq", RUN_WORKER: "false", ...secrets })).toMatchObject({
      runMode: "web",
    });
    expect(resolveRunMode({ QUEUE: "in-process", RUN_WORKER: "true" })).toMatchObject({
      runMode: "all",
      isEmbedded: true,
    });
    expect(
      resolveRunMode({ QUEUE: "bullmq", RUN_MODE: "worker", RUN_WORKER: "true", ...secrets }),
    ).toMatchObject({ runMode: "worker", isEmbedded: false });
  });

  it("refuses RUN_WORKER that contradicts RUN_MODE", () => {
    const result = resolveRunMode({
      QUEUE: "bullmq",
      RUN_MODE: "worker",
      RUN_WORKER: "false",
      ...secrets,
    });
    expect(result).toEqual({
      isOk: false,
      problems: [
        expect.stringMatching(/^RUN_WORKER: RUN_WORKER=false contradicts RUN_MODE=worker/),
      ],
    });
  });

  it("refuses a web or worker process on the in-process queue, saying why", () => {
    for (const input of [{ RUN_MODE: "web" as const }, { RUN_WORKER: "false" as const }]) {
      const result = resolveRunMode({ QUEUE: "in-process", ...input, ...secrets });
      expect(result.isOk).toBe(false);
      if (!result.isOk) expect(result.problems[0]).toMatch(/needs QUEUE=bullmq.*queued forever/);
    }
    const worker = resolveRunMode({ QUEUE: "in-process", RUN_MODE: "worker", ...secrets });
    expect(worker.isOk).toBe(false);
    if (!worker.isOk)
      expect(worker.problems[0]).toMatch(/^RUN_MODE: RUN_MODE=worker needs QUEUE=bullmq/);
  });

  it("requires AUTH_SECRET and SECRET_KEY off the embedded mode, naming the missing ones", () => {
    const both = resolveRunMode({ QUEUE: "bullmq" });
    expect(both).toEqual({
      isOk: false,
      problems: [
        expect.stringMatching(/^AUTH_SECRET, SECRET_KEY: AUTH_SECRET and SECRET_KEY must be set/),
      ],
    });
    const one = resolveRunMode({
      QUEUE: "bullmq",
      RUN_MODE: "web",
      AUTH_SECRET: secrets.AUTH_SECRET,
    });
    expect(one.isOk).toBe(false);
    if (!one.isOk)
      expect(one.problems).toEqual([expect.stringMatching(/^SECRET_KEY: SECRET_KEY must be set/)]);
    expect(resolveRunMode({ QUEUE: "bullmq", RUN_MODE: "web", ...secrets })).toEqual({
      isOk: true,
      runMode: "web",
      isEmbedded: false,
    });
  });

  it("requires them with shared storage too, though one process runs everything", () => {
    const s3 = resolveRunMode({ QUEUE: "in-process", STORAGE: "s3" });
    expect(s3.isOk).toBe(false);
    if (!s3.isOk) expect(s3.problems[0]).toMatch(/STORAGE=s3/);
    expect(resolveRunMode({ QUEUE: "in-process", STORAGE: "s3", ...secrets })).toEqual({
      isOk: true,
      runMode: "all",
      isEmbedded: true,
    });
  });
});
