import { textResponse } from "@/server/api/http";
import { metricsRefusal } from "@/server/auth/access";
import { authenticateRequest } from "@/server/auth/request-auth";
import { renderMetrics } from "@/server/services/system/metrics";

export const dynamic = "force-dynamic";

/** Prometheus's scrape: `Authorization: Bearer <a token with the metrics scope>`. */
export async function GET(request: Request): Promise<Response> {
  const auth = await authenticateRequest(request.headers);
  if (!auth) return textResponse(401, "Send a token with the metrics scope as a Bearer token.");
  const refusal = metricsRefusal({ role: auth.user.role, tokenScope: auth.tokenScope });
  if (refusal) return textResponse(403, refusal);
  const { contentType, body } = await renderMetrics();
  return new Response(body, {
    headers: { "content-type": contentType, "cache-control": "no-store" },
  });
}
