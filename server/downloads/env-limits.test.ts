import { describe, expect, it } from "vitest";
import { readDownloadLimitsFromEnv } from "./env-limits";

describe("readDownloadLimitsFromEnv", () => {
  it("uses the documented defaults", () => {
    expect(readDownloadLimitsFromEnv({})).toEqual({
      maxGlobalConcurrency: 32,
      maxPerHostConcurrency: 4,
      perHostQps: 20,
      connectTimeoutMs: 5000,
      readTimeoutMs: 45_000,
      maxBytes: 50 * 1024 * 1024,
      maxAttempts: 4,
      maxRedirects: 5,
      allowPrivateHosts: [],
      maxReportBytes: 1024 * 1024 * 1024,
    });
  });

  it("gives reports their own size limit, not the image limit; 0 means none", () => {
    expect(
      readDownloadLimitsFromEnv({ MAX_IMAGE_SIZE_MB: "1", MAX_REPORT_SIZE_MB: "300" }),
    ).toMatchObject({ maxBytes: 1024 * 1024, maxReportBytes: 300 * 1024 * 1024 });
    // as large as a run can record
    expect(readDownloadLimitsFromEnv({ MAX_REPORT_SIZE_MB: "0" }).maxReportBytes).toBe(2 ** 31 - 1);
  });

  it("accepts host:port entries beside hosts, addresses and ranges", () => {
    expect(
      readDownloadLimitsFromEnv({
        DOWNLOAD_ALLOW_PRIVATE_HOSTS:
          "127.0.0.1:8080, metabase.internal:3000,[::1]:9000,10.0.0.0/8",
      }).allowPrivateHosts,
    ).toEqual(["127.0.0.1:8080", "metabase.internal:3000", "[::1]:9000", "10.0.0.0/8"]);
  });

  it("reads every variable, converting seconds and megabytes", () => {
    const limits = readDownloadLimitsFromEnv({
      MAX_GLOBAL_CONCURRENCY: "64",
      MAX_PER_HOST_CONCURRENCY: "8",
      DOWNLOAD_QPS: "2.5",
      HTTP_CONNECT_TIMEOUT: "1.5",
      HTTP_READ_TIMEOUT: "2",
      MAX_IMAGE_SIZE_MB: "1",
      DOWNLOAD_ALLOW_PRIVATE_HOSTS: " 127.0.0.1, ::1 ,localhost,,10.0.0.0/8 ",
    });
    expect(limits).toMatchObject({
      maxGlobalConcurrency: 64,
      maxPerHostConcurrency: 8,
      perHostQps: 2.5,
      connectTimeoutMs: 1500,
      readTimeoutMs: 2000,
      maxBytes: 1024 * 1024,
      allowPrivateHosts: ["127.0.0.1", "::1", "localhost", "10.0.0.0/8"],
    });
  });

  it("treats blank values as unset", () => {
    expect(
      readDownloadLimitsFromEnv({ MAX_GLOBAL_CONCURRENCY: "", HTTP_READ_TIMEOUT: "  " }),
    ).toMatchObject({
      maxGlobalConcurrency: 32,
      readTimeoutMs: 45_000,
    });
  });

  it.each([
    ["MAX_GLOBAL_CONCURRENCY", "0"],
    ["MAX_PER_HOST_CONCURRENCY", "2.5"],
    ["DOWNLOAD_QPS", "-1"],
    ["HTTP_READ_TIMEOUT", "soon"],
    ["MAX_IMAGE_SIZE_MB", "0"],
    ["DOWNLOAD_ALLOW_PRIVATE_HOSTS", "127.0.0.1,10.0.0.0/40"],
    ["DOWNLOAD_ALLOW_PRIVATE_HOSTS", "127.0.0.1:99999"],
    ["DOWNLOAD_ALLOW_PRIVATE_HOSTS", "10.0.0.0/8:80"],
    ["MAX_REPORT_SIZE_MB", "-1"],
  ])("rejects %s=%s naming the variable", (name, value) => {
    expect(() => readDownloadLimitsFromEnv({ [name]: value })).toThrow(name);
  });
});
