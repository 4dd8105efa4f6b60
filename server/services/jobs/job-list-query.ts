import { JOB_KIND_LABELS } from "@/server/jobs/job-kind-names";

/**
 * What the Jobs list can be asked for; shared by the page (URL query) and the server. No zod here:
 * the page imports this, and zod probes for eval in the browser, which the CSP reports.
 */
export const JOB_PAGE_SIZE = 50;
/** Counting stops here, so a filter over a huge table costs a bounded scan ("more than 10,000"). */
export const JOB_COUNT_CAP = 10_000;

export { JOB_KIND_LABELS };

export const JOB_STATUS_LABELS = {
  queued: "Queued",
  running: "Running",
  paused: "Paused",
  completed: "Completed",
  completed_with_errors: "Completed with failures",
  failed: "Failed",
  cancelled: "Cancelled",
} as const;

export const JOB_SORT_LABELS = {
  newest: "Newest first",
  oldest: "Oldest first",
  title: "Title A–Z",
} as const;

export type TJobListFilters = {
  q: string;
  kind?: keyof typeof JOB_KIND_LABELS;
  status?: keyof typeof JOB_STATUS_LABELS;
  sort: keyof typeof JOB_SORT_LABELS;
};

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
