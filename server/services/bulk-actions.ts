import "server-only";
import { z } from "zod";
import { AppError } from "@/server/errors";

/** At most this many things per bulk action: a page's worth, selected by hand. */
export const BULK_LIMIT = 200;

export const ZBulkIds = z.object({
  ids: z.array(z.uuid()).min(1, "Select at least one.").max(BULK_LIMIT),
});

/** How a bulk action went: how many it did, and each one it could not do, with the reason. */
export type TBulkOutcome = { done: number; refused: Array<{ id: string; reason: string }> };

/**
 * Runs one action per id, one after the other, as the single action would. A refusal (an
 * AppError: "still running", "nothing to retry") is reported for that id and the rest go on; an
 * unexpected error stops the whole action, as it would stop a single one.
 */
export async function onEach(
  ids: string[],
  action: (id: string) => Promise<unknown>,
): Promise<TBulkOutcome> {
  const outcome: TBulkOutcome = { done: 0, refused: [] };
  for (const id of new Set(ids)) {
    try {
      await action(id);
      outcome.done += 1;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      outcome.refused.push({ id, reason: error.message });
    }
  }
  return outcome;
}

/** The name a copy is named after: "Sales (copy 2)" is a copy of "Sales". */
export function copyBase(name: string): string {
  return name.replace(/ \(copy(?: \d+)?\)$/, "");
}

/** "Name (copy)", then "Name (copy 2)"…, the first one not taken. */
export function copyName(name: string, taken: ReadonlySet<string>): string {
  const base = copyBase(name);
  for (let n = 1; ; n += 1) {
    const candidate = `${base} (copy${n === 1 ? "" : ` ${n}`})`;
    if (!taken.has(candidate)) return candidate;
  }
}
