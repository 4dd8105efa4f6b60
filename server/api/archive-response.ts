import "server-only";
import { toWebStream } from "../archive";
import { buildJobArchive } from "../services/jobs/build-job-archive";
import { buildRunArchive } from "../services/reports/run-files";
import { buildExportArchive } from "../services/tables/export-files";
import { attachmentHeader } from "./http";

type TArchive = {
  fileName: string;
  size: number;
  open: (signal?: AbortSignal) => NodeJS.ReadableStream;
};

/** Streams a ZIP while it is built, with its exact length, stopping when the browser goes away. */
export function archiveResponse(request: Request, archive: TArchive): Response {
  return new Response(toWebStream(archive.open(request.signal)), {
    headers: {
      "content-type": "application/zip",
      // scripts/server.mjs turns this into Content-Length, which Next would otherwise drop
      "x-content-length": String(archive.size),
      "content-disposition": attachmentHeader(archive.fileName),
      "cache-control": "no-store, no-transform",
    },
  });
}

export async function streamArchive(
  request: Request,
  args: { jobId: string; productNumber?: string },
) {
  return archiveResponse(request, await buildJobArchive(args));
}

export async function streamRunArchive(request: Request, args: { jobId: string }) {
  return archiveResponse(request, await buildRunArchive(args.jobId));
}

export async function streamExportArchive(request: Request, args: { jobId: string }) {
  return archiveResponse(request, await buildExportArchive(args.jobId));
}
