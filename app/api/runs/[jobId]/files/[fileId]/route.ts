import { fileResponse, withUser } from "@/server/api/http";
import { openRunFile } from "@/server/services/reports/run-files";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string; fileId: string }>(async ({ params }) =>
  fileResponse(await openRunFile(params)),
);
