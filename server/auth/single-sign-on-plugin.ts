import "server-only";
import type { BetterAuthPlugin } from "better-auth";
import { createAuthEndpoint } from "better-auth/api";
import { setSessionCookie } from "better-auth/cookies";
import { safeNextPath } from "@/app/_components/safe-next-path";
import { logger } from "@/server/logger";
import {
  finishSingleSignOn,
  SsoRefusal,
  startSingleSignOn,
  type TPendingSignIn,
} from "@/server/services/accounts/single-sign-on";
import { recordAudit } from "@/server/services/audit/audit";
import { db } from "@/server/db";
import { appOrigin } from "./app-origin";
import { clientAddress } from "./client-address";
import type { TSsoRefusalCode } from "./sso-refusals";

export const SSO_CALLBACK_PATH = "/api/auth/sso/callback";
const PENDING_COOKIE = "sso_pending";
/** long enough to type a password and answer a second factor at the provider */
const PENDING_SECONDS = 10 * 60;

/**
 * Sign-in through the OpenID Connect provider set on the Users page. It lives inside better-auth so
 * that the session it starts is better-auth's own: the same cookie, the same checks (a disabled
 * account's session is refused by the hook in auth.ts).
 */
export function singleSignOn() {
  return {
    id: "datahaul-single-sign-on",
    endpoints: {
      startSingleSignOn: createAuthEndpoint(
        "/sso/start",
        { method: "GET", requireRequest: true },
        async (ctx) => {
          const request = ctx.request!;
          const origin = appOrigin(request.headers, request.url);
          const next = safeNextPath(new URL(request.url).searchParams.get("next"), origin);
          let target: string;
          try {
            const { url, pending } = await startSingleSignOn({
              redirectUri: `${origin}${SSO_CALLBACK_PATH}`,
              next,
            });
            const cookie = ctx.context.createAuthCookie(PENDING_COOKIE, {
              maxAge: PENDING_SECONDS,
            });
            await ctx.setSignedCookie(
              cookie.name,
              JSON.stringify(pending),
              ctx.context.secret,
              cookie.attributes,
            );
            target = url;
          } catch (error) {
            target = await refusalPage(error, request, origin);
          }
          throw ctx.redirect(target);
        },
      ),
      finishSingleSignOn: createAuthEndpoint(
        "/sso/callback",
        { method: "GET", requireRequest: true },
        async (ctx) => {
          const request = ctx.request!;
          const origin = appOrigin(request.headers, request.url);
          const cookie = ctx.context.createAuthCookie(PENDING_COOKIE);
          const pending = parsePending(await ctx.getSignedCookie(cookie.name, ctx.context.secret));
          // one try per visit to the provider: a replayed callback finds no cookie
          ctx.setCookie(cookie.name, "", { ...cookie.attributes, maxAge: 0 });
          let target: string;
          try {
            if (!pending)
              throw new SsoRefusal("expired_attempt", "no sign-in was pending in this browser");
            const search = new URL(request.url).search;
            const { userId, isNewUser, email } = await finishSingleSignOn({
              callbackUrl: new URL(`${origin}${SSO_CALLBACK_PATH}${search}`),
              pending,
            });
            const session = await ctx.context.internalAdapter
              .createSession(userId)
              .catch((error: unknown) => {
                // the session hook refuses a disabled account
                throw new SsoRefusal("account_disabled", String(error), email);
              });
            const user = (await ctx.context.internalAdapter.findUserById(userId))!;
            await setSessionCookie(ctx, { session, user });
            const role = (user as typeof user & { role?: string }).role ?? "viewer";
            await recordAudit({
              actor: { id: user.id, name: user.name, email: user.email },
              action: "sign-in",
              target: isNewUser ? `single sign-on; account added as ${role}` : "single sign-on",
              address: clientAddress(request.headers),
            });
            target = `${origin}${pending.next}`;
          } catch (error) {
            target = await refusalPage(error, request, origin);
          }
          throw ctx.redirect(target);
        },
      ),
    },
    rateLimit: [{ pathMatcher: (path) => path.startsWith("/sso/"), window: 60, max: 30 }],
  } satisfies BetterAuthPlugin;
}

function parsePending(value: string | false | null): TPendingSignIn | null {
  if (!value) return null;
  try {
    const parsed = JSON.parse(value) as Partial<TPendingSignIn>;
    return parsed.state && parsed.nonce && parsed.verifier && typeof parsed.next === "string"
      ? (parsed as TPendingSignIn)
      : null;
  } catch {
    return null;
  }
}

/** The sign-in page with the refusal's code; the reason goes to the audit log and the server log. */
async function refusalPage(error: unknown, request: Request, origin: string): Promise<string> {
  const refusal =
    error instanceof SsoRefusal
      ? error
      : new SsoRefusal("invalid_answer", error instanceof Error ? error.message : String(error));
  if (!(error instanceof SsoRefusal)) logger.error({ err: error }, "single sign-on failed");
  else logger.warn({ code: refusal.code, reason: refusal.reason }, "single sign-on refused");
  const actor = refusal.email
    ? await db.user.findUnique({
        where: { email: refusal.email },
        select: { id: true, name: true, email: true },
      })
    : null;
  await recordAudit({
    actor,
    actorText: refusal.email ?? "single sign-on",
    action: "sign-in failed",
    target: `single sign-on: ${refusal.reason}`,
    address: clientAddress(request.headers),
  });
  const code: TSsoRefusalCode = refusal.code;
  return `${origin}/sign-in?sso_error=${code}`;
}
