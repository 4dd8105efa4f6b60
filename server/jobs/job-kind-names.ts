/**
 * The kinds of job, by name, with the words pages use for them. Pages import this (no server code
 * here); what each kind does lives in the server's catalog (services/jobs/job-kinds.ts), which has
 * an entry for every name, as the job page has a view for every name: the type checker says where
 * a new kind is still missing.
 */
export const JOB_KIND_NAMES = [
  "image_batch",
  "report_run",
  "export",
  "push",
  "refresh",
  "pipeline",
  "delivery",
] as const;
export type TJobKindName = (typeof JOB_KIND_NAMES)[number];

export const JOB_KIND_LABELS: Record<TJobKindName, string> = {
  image_batch: "Image batch",
  report_run: "Report run",
  export: "Export",
  push: "Push",
  refresh: "Refresh",
  pipeline: "Pipeline",
  delivery: "Delivery",
};

/** Before a job's title in short lists ("Images: Spring catalogue"). */
export const JOB_KIND_NOUNS: Record<TJobKindName, string> = {
  image_batch: "Images",
  report_run: "Reports",
  export: "Export",
  push: "Push",
  refresh: "Refresh",
  pipeline: "Pipeline",
  delivery: "Delivery",
};

export function isJobKindName(value: string): value is TJobKindName {
  return (JOB_KIND_NAMES as readonly string[]).includes(value);
}
