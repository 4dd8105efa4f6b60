import { streamArchive } from "@/server/api/archive-response";
import { withUser } from "@/server/api/http";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string; product: string }>(({ request, params }) =>
  streamArchive(request, {
    jobId: params.jobId,
    productNumber: decodeURIComponent(params.product),
  }),
);
