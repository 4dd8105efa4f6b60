import "server-only";
import type { TJobKindName } from "@/server/jobs/job-kind-names";
import { imageBatchKind } from "../batches/image-batch-kind";
import { reportRunKind } from "../reports/report-run-kind";
import { pushKind, refreshKind } from "../destinations/push-kind";
import { deliveryKind } from "../deliveries/delivery-kind";
import { pipelineKind } from "../pipelines/pipeline-kind";
import { exportKind } from "../tables/export-kind";
import type { TJobKind } from "./job-kind";

/** The catalog: one entry per kind of job (see job-kind.ts for what an entry says). */
export const JOB_KINDS: Record<TJobKindName, TJobKind> = {
  image_batch: imageBatchKind,
  report_run: reportRunKind,
  export: exportKind,
  push: pushKind,
  refresh: refreshKind,
  pipeline: pipelineKind,
  delivery: deliveryKind,
};

export function jobKind(name: string): TJobKind {
  const kind = JOB_KINDS[name as TJobKindName];
  if (!kind) throw new Error(`no job kind is called "${name}"`);
  return kind;
}
