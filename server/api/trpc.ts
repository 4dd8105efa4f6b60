import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { ZodError } from "zod";
import type { TSessionUser } from "../auth/auth";
import { authenticateRequest, scopeAllows, type TTokenScope } from "../auth/request-auth";
import { clientAddress } from "../auth/client-address";
import { AppError, TRPC_CODE_BY_CODE } from "../errors";
import { logger } from "../logger";
import { fieldErrorsOf, formProblemMessage, installPlainIssueMessages } from "../field-errors";

// before any input is parsed: zod's default wording never reaches a form
installPlainIssueMessages();

export async function createTRPCContext(opts: { headers: Headers }) {
  const auth = await authenticateRequest(opts.headers);
  return { headers: opts.headers, user: auth?.user ?? null, scope: auth?.scope ?? null };
}
type TContext = Awaited<ReturnType<typeof createTRPCContext>>;

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // the one place application errors become API errors; anything unexpected gets a plain message
    const isExpected = error.cause instanceof AppError || error.code !== "INTERNAL_SERVER_ERROR";
    // a form's input that does not parse: a sentence per field, never zod's issue list as text
    const isBadInput = error.cause instanceof ZodError && error.code === "BAD_REQUEST";
    const fieldErrors =
      isBadInput && error.cause instanceof ZodError
        ? fieldErrorsOf(error.cause)
        : error.cause instanceof AppError
          ? error.cause.fieldErrors
          : undefined;
    return {
      ...shape,
      message:
        isBadInput && fieldErrors
          ? formProblemMessage(fieldErrors)
          : isExpected
            ? shape.message
            : "Something went wrong on the server. The details are in its log.",
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, fieldErrors },
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
/**
 * Signed in, by a session or an API token. A token's scope decides what it may call: reading
 * (queries) needs "read", anything that changes or starts something (mutations) "run".
 */
export const protectedProcedure = publicProcedure.use(({ ctx, next, type }) => {
  if (!ctx.user || !ctx.scope)
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  refuseNarrowScope(ctx.scope, type === "query" ? "read" : "run");
  return next({ ctx: { ...ctx, user: ctx.user as TSessionUser } });
});

/** Connectors, their secrets and the app's settings: a session, or a token with the admin scope. */
export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  refuseNarrowScope(ctx.scope!, "admin");
  return next();
});

function refuseNarrowScope(granted: NonNullable<TContext["scope"]>, needed: TTokenScope) {
  if (!scopeAllows(granted, needed))
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `This API token's scope is "${granted}"; this needs "${needed}". Create a token with that scope.`,
    });
}

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
