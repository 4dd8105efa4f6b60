import "server-only";
import { z } from "zod";
import { db } from "@/server/db";
import { logger } from "@/server/logger";

export type TAuditActor = { id: string; name: string; email: string } | null;

/**
 * One line in the audit log. It never fails what it records: a line that cannot be written is
 * logged instead.
 */
export async function recordAudit(event: {
  actor: TAuditActor;
  /** who, when no user is known (the email a failed sign-in gave) */
  actorText?: string;
  action: string;
  target?: string;
  address?: string | null;
}): Promise<void> {
  try {
    await db.auditEvent.create({
      data: {
        actorId: event.actor?.id ?? null,
        actor: event.actor
          ? `${event.actor.name} <${event.actor.email}>`
          : (event.actorText ?? "anonymous"),
        action: event.action,
        target: (event.target ?? "").slice(0, 500),
        address: event.address ?? null,
      },
    });
  } catch (error) {
    logger.error({ err: error, action: event.action }, "an audit line could not be written");
  }
}

export const ZAuditQuery = z.object({
  /** the start of an action ("users." for every user change, "sign-in" for sign-ins) */
  action: z.string().trim().max(100).default(""),
  /** words in the actor, the target or the address */
  q: z.string().trim().max(200).default(""),
  /** the page older than this time (the last line shown) */
  cursor: z.coerce.date().nullish(),
  limit: z.number().int().min(1).max(200).default(100),
});

export type TAuditLine = {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string;
  address: string | null;
};

/** The newest lines first, filtered, a page at a time. */
export async function listAudit(input: z.input<typeof ZAuditQuery>): Promise<{
  lines: TAuditLine[];
  hasMore: boolean;
}> {
  const { action, q, cursor, limit } = ZAuditQuery.parse(input);
  const rows = await db.auditEvent.findMany({
    where: {
      ...(action ? { action: { startsWith: action } } : {}),
      ...(cursor ? { at: { lt: cursor } } : {}),
      ...(q
        ? {
            OR: [
              { actor: { contains: q } },
              { target: { contains: q } },
              { address: { contains: q } },
            ],
          }
        : {}),
    },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: limit + 1,
  });
  return {
    lines: rows.slice(0, limit).map(({ actorId: _actorId, ...line }) => line),
    hasMore: rows.length > limit,
  };
}

/** Drops lines older than the job retention (0 keeps them forever, like jobs). */
export async function purgeOldAudit(retentionDays: number, now = new Date()): Promise<number> {
  if (retentionDays <= 0) return 0;
  const { count } = await db.auditEvent.deleteMany({
    where: { at: { lt: new Date(now.getTime() - retentionDays * 24 * 3600_000) } },
  });
  return count;
}
