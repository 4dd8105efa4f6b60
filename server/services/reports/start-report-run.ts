import "server-only";
import { ZDeliverTo } from "@/server/deliveries/schemas";
import { checkFileDestinations } from "../deliveries/start-deliveries";
import { z } from "zod";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { enqueueJob } from "../jobs/enqueue-job";
import type { TReportRunOptions } from "./run-report-job";
import { jobTitleFields } from "../jobs/job-title";

export const ZRunOptions = z.object({
  /** reports fetched at the same time (seed 000's max_workers) */
  maxConcurrency: z.number().int().min(1).max(32).default(4),
  /** attempts per report before it counts as failed */
  maxAttempts: z.number().int().min(1).max(20).default(5),
});

export const ZStartRunInput = ZRunOptions.extend({
  reportIds: z.array(z.uuid()).min(1, "Select at least one report.").max(500),
  deliverTo: ZDeliverTo,
});

/** Creates a report run (a job of kind report_run, one item per report) and queues it. */
export async function startReportRun(args: {
  reportIds: string[];
  createdById: string;
  maxConcurrency?: number;
  maxAttempts?: number;
  scheduleId?: string;
  title?: string;
  deliverTo?: string[];
}): Promise<{ jobId: string }> {
  const input = ZStartRunInput.parse(args);
  const reports = await db.report.findMany({ where: { id: { in: input.reportIds } } });
  if (reports.length !== new Set(input.reportIds).size) {
    throw new AppError(
      "BAD_REQUEST",
      "Some of the selected reports no longer exist; reload the page.",
    );
  }
  const ordered = input.reportIds
    .map((id) => reports.find((r) => r.id === id)!)
    .filter((r, i, all) => all.indexOf(r) === i);
  const options: TReportRunOptions = {
    maxConcurrency: input.maxConcurrency,
    maxAttempts: input.maxAttempts,
    // a destination deleted since a schedule named it fails its step, visibly, rather than the run
    ...(input.deliverTo.length > 0
      ? {
          deliverTo: args.scheduleId
            ? input.deliverTo
            : await checkFileDestinations(input.deliverTo),
        }
      : {}),
  };
  const names = ordered.map((r) => r.name);
  const title =
    args.title ??
    (names.length <= 3
      ? names.join(", ")
      : `${names.slice(0, 2).join(", ")} and ${names.length - 2} more`);
  const job = await db.job.create({
    data: {
      kind: "report_run",
      ...jobTitleFields(title),
      totalItems: ordered.length,
      options: JSON.stringify(options),
      createdById: args.createdById,
      scheduleId: args.scheduleId ?? null,
      reportItems: {
        create: ordered.map((report, position) => ({
          reportId: report.id,
          reportName: report.name,
          position,
        })),
      },
    },
  });
  await enqueueJob(job);
  return { jobId: job.id };
}
