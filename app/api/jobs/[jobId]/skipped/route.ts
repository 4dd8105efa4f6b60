import { attachmentHeader, withUser } from "@/server/api/http";
import { buildJobSkippedCsv } from "@/server/services/jobs/build-job-archive";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string }>(async ({ params }) => {
  const skipped = await buildJobSkippedCsv({ jobId: params.jobId });
  return new Response(skipped.body, {
    headers: {
      "content-type": skipped.contentType,
      "content-disposition": attachmentHeader(skipped.fileName),
      "cache-control": "no-store",
    },
  });
});
