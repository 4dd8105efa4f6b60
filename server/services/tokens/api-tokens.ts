import "server-only";
import { randomBytes } from "node:crypto";
import { z } from "@/server/forms/zod";
import { accessRefusal, roleOf, TOKEN_SCOPES } from "@/server/auth/access";
import { TOKEN_PREFIX, hashToken } from "@/server/auth/request-auth";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";

export const ZCreateTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token (what script uses it).").max(100),
  scope: z.enum(TOKEN_SCOPES),
});

export type TApiTokenView = {
  id: string;
  name: string;
  prefix: string;
  scope: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const VIEW = {
  id: true,
  name: true,
  prefix: true,
  scope: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

/** A new token: the only time its value is known; only its SHA-256 is kept. */
export async function createApiToken(
  userId: string,
  input: z.input<typeof ZCreateTokenInput>,
): Promise<{ token: string; view: TApiTokenView }> {
  const { name, scope } = ZCreateTokenInput.parse(input);
  // a token never does more than its owner (and a later demotion narrows it at each request)
  const owner = await db.user.findUniqueOrThrow({ where: { id: userId } });
  const refusal = accessRefusal(
    { role: roleOf(owner.role), tokenScope: null },
    // reading /metrics shows what the whole app holds and does: an admin's to give out
    scope === "metrics" ? "admin" : scope,
    `a token with the "${scope}" scope`,
  );
  if (refusal) throw new AppError("FORBIDDEN", refusal, { scope: refusal });
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const view = await db.apiToken.create({
    data: { name, scope, userId, tokenHash: hashToken(token), prefix: token.slice(0, 10) },
    select: VIEW,
  });
  return { token, view };
}

export function listApiTokens(userId: string): Promise<TApiTokenView[]> {
  return db.apiToken.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, select: VIEW });
}

/** Revokes at once: the next request with it is refused. The row stays, so the list says when. */
export async function revokeApiToken(userId: string, id: string): Promise<void> {
  const { count } = await db.apiToken.updateMany({
    where: { id, userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) {
    const exists = await db.apiToken.findFirst({ where: { id, userId } });
    if (!exists) throw new AppError("NOT_FOUND", "This token does not exist.");
  }
}
