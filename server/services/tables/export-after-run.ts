import "server-only";
import { db } from "@/server/db";
import { logger } from "@/server/logger";
import { deliverToOf } from "../deliveries/start-deliveries";
import { startExport } from "./start-export";

/**
 * The exports that follow a report run: the transforms of the run's reports' tables that ask for
 * it, for each report that succeeded. A scheduled run's exports carry its schedule, and deliver
 * their files where the run delivers its own. A transform
 * that cannot start (its steps no longer fit) is logged; the run stays as it ended.
 */
export async function startExportsAfterReportRun(runJobId: string): Promise<string[]> {
  const run = await db.job.findUnique({
    where: { id: runJobId },
    include: { reportItems: { where: { state: "succeeded" }, select: { reportId: true } } },
  });
  const reportIds = (run?.reportItems ?? []).flatMap((item) =>
    item.reportId ? [item.reportId] : [],
  );
  if (!run || reportIds.length === 0) return [];
  const transforms = await db.transform.findMany({
    where: { exportAfterReportRun: true, table: { kind: "report", reportId: { in: reportIds } } },
    orderBy: { name: "asc" },
  });
  const started: string[] = [];
  for (const transform of transforms) {
    try {
      const { jobId } = await startExport({
        transformId: transform.id,
        createdById: run.createdById,
        scheduleId: run.scheduleId ?? undefined,
        afterRunJobId: run.id,
        // the run's destinations take the exported files too
        deliverTo: deliverToOf(run.options),
      });
      started.push(jobId);
    } catch (error) {
      logger.error(
        { runJobId, transformId: transform.id, err: error },
        "the export after a report run could not start",
      );
    }
  }
  return started;
}
