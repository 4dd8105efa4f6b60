import { withUser } from "@/server/api/http";
import { streamJobEvents } from "@/server/services/jobs/stream-job-events";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string }>(async ({ request, params }) =>
  streamJobEvents({ jobId: params.jobId, signal: request.signal }),
);
