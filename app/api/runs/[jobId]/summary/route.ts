import { attachmentHeader, withUser } from "@/server/api/http";
import { buildRunSummary } from "@/server/services/reports/run-files";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string }>(async ({ request, params }) => {
  const format = new URL(request.url).searchParams.get("format") === "json" ? "json" : "csv";
  const summary = await buildRunSummary(params.jobId, format);
  return new Response(summary.body, {
    headers: {
      "content-type": summary.contentType,
      "content-disposition": attachmentHeader(summary.fileName),
      "cache-control": "no-store",
    },
  });
});
