import "server-only";
import { createHash } from "node:crypto";
import { db } from "../db";
import { getSessionUser, type TSessionUser } from "./auth";

export const TOKEN_SCOPES = ["read", "run", "admin"] as const;
export type TTokenScope = (typeof TOKEN_SCOPES)[number];

/** What a request may do: a signed-in browser everything its user may, a token what its scope allows. */
export type TRequestAuth = { user: TSessionUser; scope: TTokenScope | "session" };

const RANK: Record<TTokenScope, number> = { read: 0, run: 1, admin: 2 };

/** read: see and download; run: also create, start and cancel; admin: also connectors and settings. */
export function scopeAllows(granted: TRequestAuth["scope"], needed: TTokenScope): boolean {
  return granted === "session" || RANK[granted] >= RANK[needed];
}

export const TOKEN_PREFIX = "dh_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

// last-used is written at most this often per token: a script polling every second costs no write each time
const LAST_USED_EVERY_MS = 60_000;

/**
 * The request's user and scope: a bearer token when the request sends one (and then only that: a
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
    if (!token || token.revokedAt) return null;
    const now = new Date();
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_EVERY_MS)
      await db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } });
    const { user } = token;
    return {
      user: { id: user.id, email: user.email, name: user.name, role: user.role },
      scope: token.scope as TTokenScope,
    };
  }
  const user = await getSessionUser(headers);
  return user ? { user, scope: "session" } : null;
}
