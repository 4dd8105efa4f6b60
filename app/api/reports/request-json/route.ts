import { attachmentHeader, withUser } from "@/server/api/http";
import { exportRequestJson } from "@/server/services/reports/reports";

export const dynamic = "force-dynamic";

/** Reports as seed 000's request.json; `?ids=a,b` limits it to some. Connector secrets are never part of it. */
export const GET = withUser(async ({ request }) => {
  const ids = new URL(request.url).searchParams.get("ids")?.split(",").filter(Boolean);
  const document = await exportRequestJson(ids);
  return new Response(`${JSON.stringify(document, null, 4)}\n`, {
    headers: {
      "content-type": "application/json",
      "content-disposition": attachmentHeader("request.json"),
      "cache-control": "no-store",
    },
  });
});
