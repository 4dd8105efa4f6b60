import { attachmentHeader, withUser } from "@/server/api/http";
import { buildJobManifest } from "@/server/services/jobs/build-job-archive";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string }>(async ({ request, params }) => {
  const format = new URL(request.url).searchParams.get("format") === "json" ? "json" : "csv";
  const manifest = await buildJobManifest({ jobId: params.jobId, format });
  return new Response(manifest.body, {
    headers: {
      "content-type": manifest.contentType,
      "content-disposition": attachmentHeader(manifest.fileName),
      "cache-control": "no-store",
    },
  });
});
