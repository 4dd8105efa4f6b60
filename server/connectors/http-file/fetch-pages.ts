import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import type { z } from "zod";
import { DownloadError, systemClock, type Clock, type TCredentials } from "@/server/downloads";
import { describeHttpStatus, formatByteLimit } from "@/server/downloads/errors";
import { assertCsvBody, looksLikeHtml } from "../check-body";
import { ConnectorError, describeTransportError, excerpt } from "../connector-error";
import { DOWNLOAD_FILE_PREFIX, DOWNLOAD_FILE_SUFFIX, type TFileResponse } from "../connector-http";
import { charsetOf, normaliseCsvFile } from "../normalise-csv";
import type { TConnectorContext, TFetchedReport } from "../types";
import { BufferedFile, CsvTable, firstRecordEnd } from "./csv-table";
import { toHttpError } from "./http-errors";
import { cursorOf, flattenRow, parseJsonKeepingNumbers, rowsOf } from "./json-rows";
import { RequestPacer } from "./pacer";
import { firstPageUrl, nextPage, type TPagePlan } from "./page-plan";
import type { ZHttpFileQuery } from "./schemas";

type TQuery = z.output<typeof ZHttpFileQuery>;

/**
 * The longest Retry-After one page is waited for inside an attempt (the engine caps its own waits
 * the same); a server that asks for more fails the attempt, and the run's next attempt waits.
 */
export const MAX_PAGE_WAIT_MS = 60_000;
/** How often one page is asked for again after a 429 or 503 with Retry-After. */
export const MAX_PAGE_REPEATS = 3;
/** A CSV page's header longer than this is not a header. */
const MAX_HEADER_BYTES = 1024 * 1024;

export type TPagedRequest = {
  /** the report's URL, resolved against the connector's base URL */
  url: string;
  query: TQuery;
  /** the connector's headers that are not secret */
  headers: Record<string, string>;
  credentials: TCredentials | undefined;
};

type TPageAnswer = { rows: number; link?: string; cursor?: string | null };

/**
 * An API's pages (or one JSON answer's rows) as one CSV file: page after page by the query's style
 * until the API has no more, the page limit or, in a preview, enough rows. Each page is written to
 * the file as it arrives and dropped, so memory holds one page at most.
 *
 * A report attempt repeats no request (the run's attempts are its retry budget), with one
 * deliberate exception here: a page answered 429 or 503 with Retry-After is a safe GET the server
 * did not serve, so it is asked for again after the wait the server named (up to MAX_PAGE_WAIT_MS,
 * MAX_PAGE_REPEATS times). Starting the whole report over from page 1 instead would ask the API
 * for every earlier page again, which is what its rate limit asked us not to do.
 */
export async function fetchPagedReport(
  request: TPagedRequest,
  context: TConnectorContext,
  deps: { clock?: Clock } = {},
): Promise<TFetchedReport> {
  const { query } = request;
  const { http, signal } = context;
  const clock = deps.clock ?? systemClock;
  const isPaged = query.pagination !== "none";
  const maxPages = isPaged ? query.maxPages : 1;
  const isJson = query.format === "json";
  const plan: TPagePlan = {
    style: query.pagination,
    pageParam: query.pageParam,
    firstPage: query.firstPage,
    offsetParam: query.offsetParam,
    sizeParam: query.sizeParam,
    pageSize: query.pageSize,
    cursorParam: query.cursorParam,
  };
  const pacer = new RequestPacer(isPaged ? query.requestsPerSecond : undefined, clock);
  // the credentials stay with their origin; without any, a secret among the plain headers
  // (Authorization, Cookie) stays with the first page's, not a next link's elsewhere
  const credentials = request.credentials ?? {
    origin: new URL(request.url).origin,
    headers: {},
  };
  const pathname = new URL(request.url).pathname;
  let page = 0;
  const tooLarge = () =>
    new ConnectorError(
      `the report is larger than ${formatByteLimit(http.maxFileBytes)} (the report size limit) by page ${page}`,
    );
  const outPath = path.join(
    context.tempDir,
    `${DOWNLOAD_FILE_PREFIX}${randomUUID()}${DOWNLOAD_FILE_SUFFIX}`,
  );
  const out = await BufferedFile.open(outPath, http.maxFileBytes, tooLarge);
  let table: CsvTable | null = null;
  const notes = new Set<string>();
  let isTruncated = false;
  let isKept = false;

  const what = () => (isPaged ? `page ${page} of ${pathname}` : pathname);

  /** One page's request; a 429 or 503 with Retry-After is waited out and asked again. */
  async function fetchPage<T>(url: string, send: () => Promise<T>): Promise<T> {
    for (let repeats = 0; ; repeats++) {
      await pacer.take(signal).catch((error: unknown) => {
        throw describeTransportError(error, what());
      });
      try {
        return await send();
      } catch (error) {
        const waitMs = retryAfterOf(error);
        if (waitMs === undefined) throw toHttpError(error, what(), url, request.credentials);
        const status = (error as DownloadError).httpStatus!;
        const refused =
          status === 429 ? "rate-limited (429)" : `unavailable (${describeHttpStatus(status)})`;
        const options = { isRetryable: true, httpStatus: status, retryAfterMs: waitMs };
        if (waitMs > MAX_PAGE_WAIT_MS) {
          throw new ConnectorError(
            `${what()} was ${refused}: the server asks to wait ${inWords(waitMs)}, longer than the ${inWords(MAX_PAGE_WAIT_MS)} one page is waited for`,
            options,
          );
        }
        if (repeats >= MAX_PAGE_REPEATS) {
          throw new ConnectorError(
            `${what()} was still ${refused} after waiting ${MAX_PAGE_REPEATS} times as long as the server asked`,
            options,
          );
        }
        await clock.sleep(waitMs, signal).catch((cancelled: unknown) => {
          throw describeTransportError(cancelled, what());
        });
      }
    }
  }

  async function jsonPage(url: string): Promise<TPageAnswer> {
    const answer = await fetchPage(url, () =>
      http.requestText(url, {
        accept: "application/json, */*",
        headers: request.headers,
        credentials,
        signal,
      }),
    );
    const parsed = parseJsonKeepingNumbers(answer.body);
    if (!parsed) throw notJson(answer.body, answer.headers["content-type"] ?? null, page);
    const rows = rowsOf(parsed.value, query.rowsPath, page);
    table ??= await CsvTable.open(`${outPath}.body`, http.maxFileBytes, tooLarge);
    let taken = 0;
    for (const row of rows) {
      const cells: [string, string][] = [];
      flattenRow(row, (column, text) => cells.push([column, text]));
      await table.addRow(cells);
      taken += 1;
    }
    return {
      rows: taken,
      link: answer.headers.link,
      cursor: plan.style === "cursor" ? cursorOf(parsed.value, query.cursorPath, page) : undefined,
    };
  }

  /** the CSV header: of page 1, or of the first page that had rows */
  let header: { bytes: Buffer; fields: string[]; page: number } | null = null;

  async function csvPage(url: string): Promise<TPageAnswer> {
    const file = await fetchPage(url, () =>
      http.downloadToFile(url, {
        accept: "text/csv, */*",
        headers: request.headers,
        credentials,
        signal,
      }),
    );
    const normalPath = `${file.path}.utf8`;
    try {
      const rows = await appendCsvPage(file, normalPath);
      return { rows, link: file.headers.link };
    } finally {
      fs.rmSync(file.path, { force: true });
      fs.rmSync(normalPath, { force: true });
    }
  }

  /** A CSV page as UTF-8 records after the file's: its header checked against page 1's, not repeated. */
  async function appendCsvPage(file: TFileResponse, normalPath: string): Promise<number> {
    const charset = charsetOf(file.contentType);
    await assertCsvBody({
      path: file.path,
      firstBytes: file.firstBytes,
      system: `${new URL(request.url).host} (${what()})`,
      charset,
    });
    const summary = await normaliseCsvFile(file.path, normalPath, { charset });
    for (const note of summary.notes) notes.add(note);
    let head: Buffer | null = Buffer.alloc(0);
    for await (const chunk of fs.createReadStream(normalPath) as AsyncIterable<Buffer>) {
      if (head === null) {
        await out.write(chunk);
        continue;
      }
      head = Buffer.concat([head, chunk]);
      const end = firstRecordEnd(head);
      if (end < 0) {
        if (head.length > MAX_HEADER_BYTES)
          throw new ConnectorError(`the first line of ${what()} is longer than 1 MB`);
        continue;
      }
      // the first header is the file's; a later page's is checked against it and left out
      const isFirstHeader = header === null;
      takeHeader(head.subarray(0, end));
      await out.write(head.subarray(isFirstHeader ? 0 : end));
      head = null;
    }
    // a last record without its line end has been given one by the normaliser: never left here
    return summary.rows;
  }

  function takeHeader(bytes: Buffer) {
    if (header === null) {
      header = { bytes: Buffer.from(bytes), fields: fieldsOf(bytes), page };
      return;
    }
    if (bytes.equals(header.bytes)) return;
    const fields = fieldsOf(bytes);
    if (fields.length === header.fields.length && fields.every((f, i) => f === header!.fields[i]))
      return;
    const first = header.page;
    throw new ConnectorError(
      `the columns of page ${page} are not those of page ${first}: page ${first} has ${excerpt(header.fields.join(", "), 300)}; page ${page} has ${excerpt(fields.join(", "), 300)}`,
    );
  }

  try {
    let url = firstPageUrl(request.url, plan);
    let rowsSoFar = 0;
    let sentCursor: string | null = null;
    for (;;) {
      page += 1;
      const answer = isJson ? await jsonPage(url) : await csvPage(url);
      rowsSoFar += answer.rows;
      // a preview wants its first rows, not the report
      if (context.rowLimit !== undefined && rowsSoFar >= context.rowLimit) break;
      const next = nextPage(plan, {
        url,
        index: page - 1,
        rows: answer.rows,
        rowsSoFar,
        link: answer.link,
        cursor: answer.cursor,
        sentCursor,
      });
      if ("loop" in next) {
        throw new ConnectorError(
          `${what()} gave ${next.loop} as the next page; stopped rather than fetch the same page again and again`,
        );
      }
      if (next.url === null) break;
      if (page >= maxPages) {
        isTruncated = true;
        notes.add(
          `stopped after ${maxPages.toLocaleString("en-US")} ${maxPages === 1 ? "page" : "pages"} (the page limit); the API had more`,
        );
        break;
      }
      if (plan.style === "cursor") sentCursor = answer.cursor ?? null;
      url = next.url;
    }
    await (table as CsvTable | null)?.finish(out);
    await out.close();
    isKept = true;
  } finally {
    if (!isKept) {
      await out.discard();
      await (table as CsvTable | null)?.discard();
      fs.rmSync(outPath, { force: true });
    }
  }
  return {
    files: [{ path: outPath, label: null }],
    format: "csv",
    charset: "utf-8",
    isTruncated,
    notes: [...notes],
  };
}

/** The wait a 429 or 503 asked for with Retry-After; undefined for any other failure. */
function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof DownloadError) || error.kind !== "http") return undefined;
  if (error.httpStatus !== 429 && error.httpStatus !== 503) return undefined;
  return error.retryAfterMs;
}

function notJson(body: string, contentType: string | null, page: number): ConnectorError {
  const start = Buffer.from(body.slice(0, 512));
  if (looksLikeHtml(start, contentType))
    return new ConnectorError(
      `the answer of page ${page} is an HTML page, not JSON (a login page? check the credentials and the URL)`,
    );
  const as = contentType ? ` (it came as ${excerpt(contentType, 80)})` : "";
  if (body.trim() === "")
    return new ConnectorError(`the answer of page ${page} is empty, not JSON`);
  return new ConnectorError(`the answer of page ${page} is not JSON${as}`);
}

function fieldsOf(record: Buffer): string[] {
  const parsed = Papa.parse<string[]>(record.toString("utf8").replace(/\r\n$/, ""));
  return parsed.data[0] ?? [];
}

/** "45 s", "2 min", "3 h" */
export function inWords(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
