import { Readable } from "node:stream";
import { attachmentHeader, withUser } from "@/server/api/http";
import { openExportFile } from "@/server/services/tables/export-files";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string; outputId: string }>(async ({ params }) => {
  const file = await openExportFile(params);
  return new Response(Readable.toWeb(file.stream as Readable) as ReadableStream, {
    headers: {
      "content-type": file.contentType,
      "x-content-length": String(file.size),
      "content-disposition": attachmentHeader(file.fileName),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
});
