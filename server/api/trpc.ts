import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { ZodError } from "zod";
import type { TAccessLevel } from "../auth/access";
import { authenticateRequest, requestRefusal } from "../auth/request-auth";
import { clientAddress } from "../auth/client-address";
import { AppError, TRPC_CODE_BY_CODE } from "../errors";
import { recordAudit } from "../services/audit/audit";
import { AUDITED_PROCEDURES } from "./audited-procedures";
import { logger } from "../logger";
import { fieldErrorsOf, formProblemMessage, installPlainIssueMessages } from "../field-errors";

// before any input is parsed: zod's default wording never reaches a form
installPlainIssueMessages();

export async function createTRPCContext(opts: { headers: Headers }) {
  const auth = await authenticateRequest(opts.headers);
  return { headers: opts.headers, auth, user: auth?.user ?? null };
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
 * The one place procedures are guarded: signed in (a session or an API token), and the user's role,
 * narrowed by the token's scope, reaches the level the procedure needs. Runs before the input is
 * read. tests/access-rules.int.test.ts lists every procedure with the least role it needs.
 */
function requireLevel(needed: TAccessLevel | "read-or-run") {
  return publicProcedure.use(async ({ ctx, next, type, path, getRawInput }) => {
    if (!ctx.auth) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
    const level = needed === "read-or-run" ? (type === "query" ? "read" : "run") : needed;
    const refusal = requestRefusal(ctx.auth, level);
    if (refusal) throw new TRPCError({ code: "FORBIDDEN", message: refusal });
    const result = await next({ ctx: { ...ctx, auth: ctx.auth, user: ctx.auth.user } });
    const describe = AUDITED_PROCEDURES[path];
    if (result.ok && describe) {
      const input = ((await getRawInput().catch(() => ({}))) ?? {}) as Record<string, unknown>;
      const data = (result.data ?? {}) as Record<string, unknown>;
      await recordAudit({
        actor: ctx.auth.user,
        action: path,
        target: `${await describe(input, typeof data === "object" ? data : {})}${ctx.auth.tokenScope ? " (API token)" : ""}`,
        address: clientAddress(ctx.headers),
      });
    }
    return result;
  });
}

/** Reading needs a viewer (any user); anything that changes or starts something an operator. */
export const protectedProcedure = requireLevel("read-or-run");
/** An operator even to read: what reaches into a connector's upstream (browsing, previews). */
export const operatorProcedure = requireLevel("run");
/** Any signed-in user, even to change something: their own tokens and password. */
export const anyUserProcedure = requireLevel("read");
/** Users, connectors, their secrets and the app's settings. */
export const adminProcedure = requireLevel("admin");

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
