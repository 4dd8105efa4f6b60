import "server-only";
import { ZodError, type z } from "zod";
import { authenticateRequest, requestRefusal } from "../../auth/request-auth";
import { clientAddress } from "../../auth/client-address";
import { recordAudit } from "../../services/audit/audit";
import { AppError, HTTP_STATUS_BY_CODE, type TAppErrorCode } from "../../errors";
import { fieldErrorsOf, formProblemMessage, installPlainIssueMessages } from "../../field-errors";
import { logger } from "../../logger";
import { buildOpenApiDocument } from "./openapi";
import type { TRestRoute } from "./rest-route";
import { REST_ROUTES } from "./routes";

installPlainIssueMessages();

type TErrorBody = { error: { code: string; message: string; fields?: Record<string, string> } };

/** Every failure has one shape: `{ error: { code, message } }`, with the HTTP status of its code. */
export function errorResponse(
  code: TAppErrorCode | "METHOD_NOT_ALLOWED",
  message: string,
  fields?: Record<string, string>,
  headers?: Record<string, string>,
): Response {
  const status = code === "METHOD_NOT_ALLOWED" ? 405 : HTTP_STATUS_BY_CODE[code];
  const body: TErrorBody = { error: { code, message, ...(fields ? { fields } : {}) } };
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

function matchPath(pattern: string, segments: string[]): Record<string, string> | null {
  const parts = pattern.split("/").filter(Boolean);
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index]!;
    if (part.startsWith("{")) params[part.slice(1, -1)] = segment;
    else if (part !== segment) return null;
  }
  return params;
}

function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = fieldErrorsOf(parsed.error, where === "body" ? "" : `${where}.`);
  throw new AppError("BAD_REQUEST", formProblemMessage(fields), fields);
}

async function readJsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError("BAD_REQUEST", "The request body is not JSON.");
  }
}

/** Finds the route, checks who asks and what their token's scope allows, parses the input, answers. */
export async function dispatchRest(request: Request, segments: string[]): Promise<Response> {
  const candidates = REST_ROUTES.flatMap((route) => {
    const params = matchPath(route.path, segments);
    return params ? [{ route, params }] : [];
  });
  if (segments.join("/") === "openapi.json" && request.method === "GET")
    return Response.json(buildOpenApiDocument(REST_ROUTES, new URL(request.url).origin));
  if (candidates.length === 0)
    return errorResponse(
      "NOT_FOUND",
      `There is no API route ${request.method} /api/v1/${segments.join("/")}. The routes are listed at /api/v1/openapi.json.`,
    );
  const match = candidates.find(({ route }) => route.method === request.method);
  if (!match)
    return errorResponse(
      "METHOD_NOT_ALLOWED",
      `/api/v1/${segments.join("/")} takes ${candidates.map((c) => c.route.method).join(", ")}, not ${request.method}.`,
      undefined,
      { allow: candidates.map((c) => c.route.method).join(", ") },
    );
  return runRoute(request, match.route, match.params);
}

async function runRoute(request: Request, route: TRestRoute, rawParams: Record<string, string>) {
  try {
    const auth = route.scope ? await authenticateRequest(request.headers) : null;
    if (route.scope) {
      if (!auth)
        return errorResponse(
          "UNAUTHORIZED",
          request.headers.has("authorization")
            ? "This API token is not valid (mistyped, revoked, or of a deleted or disabled user)."
            : "Send an API token as 'Authorization: Bearer <token>'; create one on the API page.",
        );
      const refusal = requestRefusal(auth, route.scope, `${route.method} ${route.path}`);
      if (refusal) return errorResponse("FORBIDDEN", refusal);
    }
    const params: Record<string, unknown> = route.params
      ? parseWith(route.params, rawParams, "params")
      : {};
    const url = new URL(request.url);
    const query = route.query
      ? parseWith(route.query, Object.fromEntries(url.searchParams), "query")
      : {};
    const body = route.body
      ? parseWith(route.body, await readJsonBody(request), "body")
      : undefined;
    const result = await route.handle({ request, user: auth?.user ?? null, params, query, body });
    // what a script changed or started goes in the audit log, like the pages' changes
    if (auth && route.method !== "GET") {
      const jobId = (result as { jobId?: unknown } | null)?.jobId;
      await recordAudit({
        actor: auth.user,
        action: `${route.method} ${route.path}`,
        target: [
          ...Object.entries(params).map(([name, value]) => `${name} ${String(value)}`),
          typeof jobId === "string" ? `job ${jobId}` : "",
          "(API token)",
        ]
          .filter(Boolean)
          .join(" · "),
        address: clientAddress(request.headers),
      });
    }
    if (result instanceof Response) return result;
    return Response.json(result ?? null, {
      status: route.success.status,
      headers: { "cache-control": "no-store" },
    });
  } catch (error) {
    if (error instanceof AppError)
      return errorResponse(error.code, error.message, error.fieldErrors);
    if (error instanceof ZodError) {
      const fields = fieldErrorsOf(error);
      return errorResponse("BAD_REQUEST", formProblemMessage(fields), fields);
    }
    logger.error({ route: `${route.method} ${route.path}`, err: error }, "API route failed");
    return errorResponse(
      "INTERNAL",
      "Something went wrong on the server. The details are in its log.",
    );
  }
}
