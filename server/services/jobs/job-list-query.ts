import { z } from "zod";

/** What the Jobs list can be asked for; shared by the page (URL query) and the server. */
export const JOB_PAGE_SIZE = 50;
/** Counting stops here, so a filter over a huge table costs a bounded scan ("more than 10,000"). */
export const JOB_COUNT_CAP = 10_000;

export const JOB_KIND_LABELS = {
  image_batch: "Image batch",
  report_run: "Report run",
} as const;

export const JOB_STATUS_LABELS = {
  queued: "Queued",
  running: "Running",
  paused: "Paused",
  completed: "Completed",
  completed_with_errors: "Completed with errors",
  failed: "Failed",
  cancelled: "Cancelled",
} as const;

export const JOB_SORT_LABELS = {
  newest: "Newest first",
  oldest: "Oldest first",
  title: "Title A–Z",
} as const;

type TKeys<T> = [keyof T & string, ...(keyof T & string)[]];
const keysOf = <T extends object>(labels: T) => Object.keys(labels) as TKeys<T>;

export const ZJobListFilters = z.object({
  q: z.string().trim().max(200, "The search is longer than 200 characters.").default(""),
  kind: z.enum(keysOf(JOB_KIND_LABELS)).optional(),
  status: z.enum(keysOf(JOB_STATUS_LABELS)).optional(),
  sort: z.enum(keysOf(JOB_SORT_LABELS)).default("newest"),
});
export type TJobListFilters = z.output<typeof ZJobListFilters>;

export const ZJobPageInput = ZJobListFilters.extend({
  cursor: z.string().max(1000).nullish(),
  limit: z.number().int().min(1).max(200).default(JOB_PAGE_SIZE),
});
export type TJobPageInput = z.input<typeof ZJobPageInput>;

/** Reads the list's state from a URL query; unknown values fall back to the defaults. */
export function jobFiltersFromQuery(query: { get(name: string): string | null }): TJobListFilters {
  const pick = <T extends object>(labels: T, value: string | null) =>
    value && value in labels ? (value as keyof T & string) : undefined;
  return {
    q: (query.get("q") ?? "").trim().slice(0, 200),
    kind: pick(JOB_KIND_LABELS, query.get("kind")),
    status: pick(JOB_STATUS_LABELS, query.get("status")),
    sort: pick(JOB_SORT_LABELS, query.get("sort")) ?? "newest",
  };
}
