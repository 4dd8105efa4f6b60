import "server-only";
import type { z } from "zod";
import type { TSessionUser } from "../../auth/auth";
import type { TAccessLevel } from "../../auth/access";

/**
 * One route of the REST API (/api/v1). The table of these in routes.ts is the one source of both
 * the dispatch and the OpenAPI document: a route's params, query and body schemas are the zod
 * schemas its services and procedures validate with.
 */
export type TRestRoute = {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** with {param} segments, below /api/v1 */
  path: string;
  /** the level a caller needs (its user's role, narrowed by its token's scope); null: no sign-in */
  scope: TAccessLevel | null;
  tag: string;
  summary: string;
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** a JSON body */
  body?: z.ZodType;
  /** a file as the body itself (an upload) */
  rawBody?: { description: string };
  success: { status: number; description: string; contentType?: string };
  handle(args: {
    request: Request;
    user: TSessionUser | null;
    params: Record<string, unknown>;
    query: Record<string, unknown>;
    body: unknown;
  }): Promise<unknown>;
};

/** Types the handler's arguments from the route's schemas. */
export function defineRoute<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  route: Omit<TRestRoute, "params" | "query" | "body" | "handle"> & {
    params?: P;
    query?: Q;
    body?: B;
    handle(args: {
      request: Request;
      user: TSessionUser;
      params: P extends z.ZodObject ? z.output<P> : Record<string, never>;
      query: Q extends z.ZodObject ? z.output<Q> : Record<string, never>;
      body: B extends z.ZodType ? z.output<B> : undefined;
    }): Promise<unknown>;
  },
): TRestRoute {
  return route as unknown as TRestRoute;
}
