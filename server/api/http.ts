import "server-only";
import { Readable } from "node:stream";
import type { TSessionUser } from "../auth/auth";
import type { TAccessLevel } from "../auth/access";
import { authenticateRequest, requestRefusal } from "../auth/request-auth";
import { AppError, HTTP_STATUS_BY_CODE } from "../errors";
import { logger } from "../logger";

type TRouteContext<P> = { params: Promise<P> };

/**
 * Wraps a route handler: requires a signed-in user (a session or an API token) whose role, narrowed
 * by the token's scope, reaches the level the route needs ("read" for GET, "run" for the rest
 * unless `level` says), and turns errors into plain-words responses.
 */
export function withUser<P>(
  handler: (args: { request: Request; user: TSessionUser; params: P }) => Promise<Response>,
  options: { level?: TAccessLevel } = {},
) {
  return async (request: Request, context: TRouteContext<P>): Promise<Response> => {
    try {
      const auth = await authenticateRequest(request.headers);
      if (!auth) return textResponse(401, "Sign in to continue.");
      const needed = options.level ?? (["GET", "HEAD"].includes(request.method) ? "read" : "run");
      const refusal = requestRefusal(auth, needed);
      if (refusal) return textResponse(403, refusal);
      return await handler({ request, user: auth.user, params: await context.params });
    } catch (error) {
      if (error instanceof AppError)
        return textResponse(HTTP_STATUS_BY_CODE[error.code], error.message);
      logger.error({ url: new URL(request.url).pathname, err: error }, "route failed");
      return textResponse(500, "Something went wrong on the server. The details are in its log.");
    }
  };
}

export function textResponse(status: number, message: string): Response {
  return new Response(message, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266). */
export function attachmentHeader(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * A stored file as a download with its exact length. `no-transform` keeps Next's compression off
 * it: a CSV sent gzipped loses its Content-Length, and a browser then shows no progress.
 */
export function fileResponse(file: {
  fileName: string;
  size: number;
  contentType: string;
  stream: NodeJS.ReadableStream;
}): Response {
  return new Response(Readable.toWeb(file.stream as Readable) as ReadableStream, {
    headers: {
      "content-type": file.contentType,
      // scripts/server.mjs turns this into Content-Length, which Next would otherwise drop
      "x-content-length": String(file.size),
      "content-disposition": attachmentHeader(file.fileName),
      "cache-control": "no-store, no-transform",
      "x-content-type-options": "nosniff",
    },
  });
}
