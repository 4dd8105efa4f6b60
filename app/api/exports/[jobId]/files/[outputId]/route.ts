import { fileResponse, withUser } from "@/server/api/http";
import { openExportFile } from "@/server/services/tables/export-files";

export const dynamic = "force-dynamic";

export const GET = withUser<{ jobId: string; outputId: string }>(async ({ params }) =>
  fileResponse(await openExportFile(params)),
);
