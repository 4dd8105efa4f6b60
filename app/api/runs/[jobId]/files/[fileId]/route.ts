import { Readable } from "node:stream";
import { attachmentHeader, withUser } from "@/server/api/http";
import { openRunFile } from "@/server/services/reports/run-files";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string; fileId: string }>(async ({ params }) => {
  const file = await openRunFile(params);
  return new Response(Readable.toWeb(file.stream as Readable) as ReadableStream, {
    headers: {
      "content-type": file.contentType,
      ...(file.size !== undefined ? { "x-content-length": String(file.size) } : {}),
      "content-disposition": attachmentHeader(file.fileName),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
});
