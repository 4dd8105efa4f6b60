import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from "@/test-support/redis";
import { waitFor } from "@/test-support/wait-for";
import {
  abortRunningJob,
  createRedisCommandChannel,
  trackRunningJob,
  installJobCommandChannel,
} from "./running-jobs";

const prefix = uniqueRedisPrefix("commands");
afterAll(async () => {
  await deleteRedisKeys(prefix);
});

describe("job commands over Redis", () => {
  it("stops a job in the process that runs it, and only that job", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test-support/job-command-child.ts", TEST_REDIS_URL, prefix],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const errors: unknown[] = [];
    const channel = createRedisCommandChannel({
      redisUrl: TEST_REDIS_URL,
      prefix,
      onError: (error) => errors.push(error),
    });
    installJobCommandChannel(channel);
    try {
      await channel.ready;
      // this process runs a job of its own: the channel reaches it as well
      const local = trackRunningJob("job-here", new AbortController().signal);
      await waitFor(() => output.includes("ready"), 60_000);

      await abortRunningJob("job-x");
      await waitFor(() => output.includes("aborted job-x"));
      await abortRunningJob("job-here");
      await waitFor(() => local.signal.aborted);
      // commands from one sender arrive in order: job-y's abort comes after both above
      expect(output).not.toContain("aborted job-y");
      await abortRunningJob("job-y");
      await waitFor(() => output.includes("aborted job-y"));
      expect(output.trim().split("\n")).toEqual(["ready", "aborted job-x", "aborted job-y"]);
      expect(errors).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      await channel.close();
    }
  });
});
