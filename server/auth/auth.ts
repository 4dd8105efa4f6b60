import "server-only";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError } from "better-auth/api";
import { nextCookies } from "better-auth/next-js";
import { db } from "../db";
import { isPostgres } from "../db-dialect";
import { env } from "../env";
import { roleOf, type TRole } from "./access";
import { CLIENT_ADDRESS_HEADER } from "./client-address";
import { singleSignOn } from "./single-sign-on-plugin";

export const auth = betterAuth({
  appName: "DataHaul",
  secret: env.authSecret,
  baseURL: env.APP_URL,
  // Without APP_URL the app answers on whatever address people use (localhost, a LAN name), so the
  // page's own host is the trusted origin; a cross-site form still carries a foreign Origin and is refused.
  trustedOrigins: env.APP_URL ? [new URL(env.APP_URL).origin] : sameHostOrigins,
  database: prismaAdapter(db, { provider: isPostgres ? "postgresql" : "sqlite" }),
  // Accounts are created by an admin (or the first-run setup), never by self sign-up.
  emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 10 },
  user: {
    additionalFields: {
      role: { type: "string", input: false, defaultValue: "viewer" },
      disabledAt: { type: "date", input: false, required: false },
    },
  },
  databaseHooks: {
    // a disabled user's password still matches; no session may start for them
    session: {
      create: {
        async before(session) {
          const user = await db.user.findUnique({ where: { id: session.userId } });
          if (user?.disabledAt)
            throw APIError.from("FORBIDDEN", {
              message: "This account is disabled. Ask your admin to enable it again.",
              code: "ACCOUNT_DISABLED",
            });
        },
      },
    },
  },
  session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
  telemetry: { enabled: false },
  // better-auth limits only in production by default, and keys the limit by X-Forwarded-For, which a
  // client can rotate at will; scripts/server.mjs resolves the address from the socket (and
  // TRUSTED_PROXIES) into a header of its own, overwriting anything a client sent.
  rateLimit: { enabled: true },
  advanced: {
    ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
    // A Secure cookie is dropped by browsers on plain http:// (a LAN address): APP_URL decides, and
    // without it scripts/server.mjs marks cookies Secure only on requests that came over HTTPS.
    useSecureCookies: env.APP_URL ? new URL(env.APP_URL).protocol === "https:" : false,
  },
  plugins: [singleSignOn(), nextCookies()],
});

function sameHostOrigins(request?: Request): string[] {
  const host = request?.headers.get("host");
  return host ? [`http://${host}`, `https://${host}`] : [];
}

export type TSessionUser = { id: string; email: string; name: string; role: TRole };

/** The signed-in user for a request, or null. */
export async function getSessionUser(headers: Headers): Promise<TSessionUser | null> {
  const session = await auth.api.getSession({ headers });
  if (!session) return null;
  const user = session.user as typeof session.user & { role?: string; disabledAt?: Date | null };
  // disabling deletes the user's sessions too; this covers a session read in the same instant
  if (user.disabledAt) return null;
  return { id: user.id, email: user.email, name: user.name, role: roleOf(user.role) };
}
