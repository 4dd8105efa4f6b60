import { attachmentHeader, withUser } from "@/server/api/http";
import { exportFailedItems } from "@/server/services/jobs/export-failed-items";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string }>(async ({ request, params }) => {
  const format = new URL(request.url).searchParams.get("format") === "csv" ? "csv" : "tsv";
  const failed = await exportFailedItems({ jobId: params.jobId, format });
  return new Response(failed.body, {
    headers: {
      "content-type": failed.contentType,
      "content-disposition": attachmentHeader(failed.fileName),
      "cache-control": "no-store",
    },
  });
});
