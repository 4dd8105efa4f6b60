import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { getSessionUser, type TSessionUser } from "../auth/auth";
import { AppError, TRPC_CODE_BY_CODE } from "../errors";
import { logger } from "../logger";

export async function createTRPCContext(opts: { headers: Headers }) {
  return { headers: opts.headers, user: await getSessionUser(opts.headers) };
}
type TContext = Awaited<ReturnType<typeof createTRPCContext>>;

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // the one place application errors become API errors; anything unexpected gets a plain message
    const isExpected = error.cause instanceof AppError || error.code !== "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      message: isExpected
        ? shape.message
        : "Something went wrong on the server. The details are in its log.",
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        zodIssues:
          error.cause instanceof ZodError ? error.cause.issues.map((i) => i.message) : undefined,
      },
    };
  },
});

const mapAppErrors = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AppError) {
      throw new TRPCError({ code: TRPC_CODE_BY_CODE[cause.code], message: cause.message, cause });
    }
    if (result.error.code === "INTERNAL_SERVER_ERROR")
      logger.error({ path, err: cause ?? result.error }, "procedure failed");
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapAppErrors);
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return next({ ctx: { ...ctx, user: ctx.user as TSessionUser } });
});
