import "server-only";

/** Who made a row and who changed it last, for the pages that list it. */
export type TAuthorship = { createdByName: string | null; updatedByName: string | null };

export const AUTHORSHIP_INCLUDE = {
  createdBy: { select: { name: true } },
  updatedBy: { select: { name: true } },
} as const;

export function authorshipOf(row: {
  createdBy: { name: string } | null;
  updatedBy: { name: string } | null;
}): TAuthorship {
  return { createdByName: row.createdBy?.name ?? null, updatedByName: row.updatedBy?.name ?? null };
}

/** What a save writes: the creator once, the last editor each time. */
export function authoredBy(actorId: string | undefined, isNew: boolean) {
  if (!actorId) return {};
  return isNew ? { createdById: actorId, updatedById: actorId } : { updatedById: actorId };
}
