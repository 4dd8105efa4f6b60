import "server-only";
import { createHash } from "node:crypto";
import { db } from "../db";
import { accessRefusal, roleOf, type TAccessLevel, type TTokenScope } from "./access";
import { getSessionUser, type TSessionUser } from "./auth";

/** What a request may do: its user's role, narrowed by the API token's scope when it sent one. */
export type TRequestAuth = { user: TSessionUser; tokenScope: TTokenScope | null };

/** Why this request may not do something needing `needed`, or null when it may. */
export function requestRefusal(auth: TRequestAuth, needed: TAccessLevel, what?: string) {
  return accessRefusal({ role: auth.user.role, tokenScope: auth.tokenScope }, needed, what);
}

export const TOKEN_PREFIX = "dh_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

// last-used is written at most this often per token: a script polling every second costs no write each time
const LAST_USED_EVERY_MS = 60_000;

/**
 * The request's user and token scope: a bearer token when the request sends one (and then only that: a
 * wrong token is refused, never passed over for a cookie), else the session cookie.
 */
export async function authenticateRequest(headers: Headers): Promise<TRequestAuth | null> {
  const authorization = headers.get("authorization");
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (authorization && /^Bearer\s/i.test(authorization)) {
    if (!bearer?.startsWith(TOKEN_PREFIX)) return null;
    const token = await db.apiToken.findUnique({
      where: { tokenHash: hashToken(bearer) },
      include: { user: true },
    });
    if (!token || token.revokedAt || token.user.disabledAt) return null;
    const now = new Date();
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_EVERY_MS)
      await db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } });
    const { user } = token;
    return {
      user: { id: user.id, email: user.email, name: user.name, role: roleOf(user.role) },
      tokenScope: token.scope as TTokenScope,
    };
  }
  const user = await getSessionUser(headers);
  return user ? { user, tokenScope: null } : null;
}
