import { streamExportArchive } from "@/server/api/archive-response";
import { withUser } from "@/server/api/http";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string }>(({ request, params }) =>
  streamExportArchive(request, { jobId: params.jobId }),
);
