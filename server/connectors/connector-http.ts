import fs from "node:fs";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { DownloadError, type DownloadEngine, type FetchOptions } from "@/server/downloads";
import { openFileSink } from "@/server/downloads/file-sink";

const JSON_LIMIT_BYTES = 32 * 1024 * 1024;

export type TJsonResponse<T = unknown> = {
  status: number;
  headers: Record<string, string>;
  body: T;
};
export type TFileResponse = {
  path: string;
  bytes: number;
  contentType: string | null;
  headers: Record<string, string>;
  firstBytes: Uint8Array;
  attempts: number;
};

type TRequest = Omit<FetchOptions, "onAttempt" | "maxBytes"> & { signal?: AbortSignal };

/**
 * What connectors use to talk to their systems: the shared download engine (limits, retries,
 * address guard) with JSON and file helpers. Failures arrive as DownloadError with the start of
 * the error body, so a connector can tell an expired session from a wrong password.
 */
export type ConnectorHttp = {
  requestJson<T = unknown>(url: string, request?: TRequest): Promise<TJsonResponse<T>>;
  requestText(url: string, request?: TRequest): Promise<TJsonResponse<string>>;
  downloadToFile(url: string, request: TRequest & { maxBytes?: number }): Promise<TFileResponse>;
};

export function createConnectorHttp(engine: DownloadEngine, tempDir: string): ConnectorHttp {
  async function requestText(url: string, request: TRequest = {}): Promise<TJsonResponse<string>> {
    const chunks: Uint8Array[] = [];
    const result = await engine.fetchToSink(
      url,
      async () => ({
        write: (chunk) => void chunks.push(Buffer.from(chunk)),
        close: async () => undefined,
        abort: async () => void (chunks.length = 0),
      }),
      { ...request, maxBytes: JSON_LIMIT_BYTES },
    );
    if (!result.ok) throw result.error;
    return {
      status: result.httpStatus,
      headers: result.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
  }

  return {
    requestText,
    async requestJson<T>(url: string, request: TRequest = {}) {
      const response = await requestText(url, { accept: "application/json", ...request });
      try {
        return { ...response, body: JSON.parse(response.body) as T };
      } catch {
        throw new DownloadError(
          "http",
          `expected JSON but got ${response.headers["content-type"] ?? "something else"}`,
          {
            httpStatus: response.status,
            responseBody: response.body.slice(0, 4096),
          },
        );
      }
    },
    async downloadToFile(url, request) {
      const target = path.join(tempDir, `report-${randomUUID()}.part`);
      const result = await engine.fetchToSink(url, () => openFileSink(target), request);
      if (!result.ok) {
        fs.rmSync(target, { force: true });
        throw result.error;
      }
      return {
        path: target,
        bytes: result.bytes,
        contentType: result.contentType,
        headers: result.headers,
        firstBytes: result.firstBytes,
        attempts: result.attempts,
      };
    },
  };
}
