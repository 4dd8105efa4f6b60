import "server-only";
import { toWebStream } from "../archive";
import { buildJobArchive } from "../services/jobs/build-job-archive";
import { attachmentHeader } from "./http";

/** Streams a job's ZIP while it is built, with its exact length, stopping when the browser goes away. */
export async function streamArchive(
  request: Request,
  args: { jobId: string; productNumber?: string },
) {
  const archive = await buildJobArchive(args);
  return new Response(toWebStream(archive.open(request.signal)), {
    headers: {
      "content-type": "application/zip",
      // scripts/server.mjs turns this into Content-Length, which Next would otherwise drop
      "x-content-length": String(archive.size),
      "content-disposition": attachmentHeader(archive.fileName),
      "cache-control": "no-store",
    },
  });
}
