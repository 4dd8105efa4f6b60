import { toNextJsHandler } from "better-auth/next-js";
import { auth } from "@/server/auth/auth";
import { auditSignIn } from "@/server/services/audit/audit-sign-in";

const handlers = toNextJsHandler(auth);

export const GET = handlers.GET;

/** better-auth's endpoints; a sign-in, taken or refused, also goes in the audit log. */
export async function POST(request: Request): Promise<Response> {
  if (!new URL(request.url).pathname.endsWith("/sign-in/email")) return handlers.POST(request);
  const email = await request
    .clone()
    .json()
    .then((body: { email?: unknown }) => (typeof body.email === "string" ? body.email : ""))
    .catch(() => "");
  const response = await handlers.POST(request);
  await auditSignIn({ email, status: response.status, headers: request.headers });
  return response;
}
