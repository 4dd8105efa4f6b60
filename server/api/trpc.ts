import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { ZodError } from "zod";
import { getSessionUser, type TSessionUser } from "../auth/auth";
import { clientAddress } from "../auth/client-address";
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

/**
 * A public procedure a stranger may call a few times per client address, before its input is even
 * read. In memory: one process serves the embedded default, and a restart forgets only attempts.
 */
export function attemptLimitedProcedure(limit: { attempts: number; perSeconds: number }) {
  const limiter = new RateLimiterMemory({ points: limit.attempts, duration: limit.perSeconds });
  return publicProcedure.use(async ({ ctx, next }) => {
    try {
      await limiter.consume(clientAddress(ctx.headers));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.ceil(rejection.msBeforeNext / 1000);
      throw new AppError(
        "TOO_MANY_REQUESTS",
        `Too many attempts from your address: try again in ${seconds} second${seconds === 1 ? "" : "s"}.`,
      );
    }
    return next();
  });
}
