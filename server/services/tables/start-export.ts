import "server-only";
import { ZDeliverTo } from "@/server/deliveries/schemas";
import { checkFileDestinations } from "../deliveries/start-deliveries";
import { toSafeFileName } from "@/server/archive";
import { z } from "@/server/forms/zod";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { ZSteps } from "@/server/tables/steps";
import { OUTPUT_EXTENSIONS, ZOutputSpec, type TOutputSpec } from "@/server/tables/write-output";
import { enqueueJob } from "../jobs/enqueue-job";
import { jobTitleFields } from "../jobs/job-title";
import { addBlobReferences } from "../storage/blob-references";
import type { TExportOptions } from "./run-export-job";
import { getTransform, snapshotTables } from "./transforms";

export const ZStartExportInput = z
  .object({
    /** a saved transform: its table, steps and outputs */
    transformId: z.string().min(1).optional(),
    /** or a table and steps given here (steps default to none: the table as it is) */
    tableId: z.string().min(1).optional(),
    steps: ZSteps.optional(),
    /** the files to write; default: the transform's, else one CSV */
    outputs: z.array(ZOutputSpec).min(1).max(10).optional(),
    /** the files' name without extension; default: the transform's or the table's name */
    fileName: z.string().trim().min(1).max(200).optional(),
    deliverTo: ZDeliverTo,
  })
  .refine((input) => input.transformId || input.tableId, {
    message: "Name the transform to export, or a table.",
  });
export type TStartExportInput = z.input<typeof ZStartExportInput>;

/** "Sales.csv", "Sales.xlsx", and "Sales_2.csv" for a second CSV. */
export function outputFileNames(baseName: string, outputs: readonly TOutputSpec[]): string[] {
  const safe = toSafeFileName(baseName, "export");
  const seen = new Map<string, number>();
  return outputs.map((output) => {
    const extension = OUTPUT_EXTENSIONS[output.format];
    const n = (seen.get(extension) ?? 0) + 1;
    seen.set(extension, n);
    return n === 1 ? `${safe}.${extension}` : `${safe}_${n}.${extension}`;
  });
}

/**
 * Creates an export (a job of kind export, one item per file) and queues it. What it reads is
 * fixed now: the stored files of its tables (kept while the job exists) and the steps as saved.
 */
export async function startExport(
  input: TStartExportInput & { createdById: string; scheduleId?: string; afterRunJobId?: string },
): Promise<{ jobId: string }> {
  const parsed = ZStartExportInput.parse(input);
  const transform = parsed.transformId ? await getTransform(parsed.transformId) : null;
  const tableId = transform?.tableId ?? parsed.tableId!;
  const steps = parsed.steps ?? transform?.steps ?? [];
  const outputs = parsed.outputs ??
    (transform?.outputs.length ? transform.outputs : null) ?? [
      ZOutputSpec.parse({ format: "csv" }),
    ];
  const tables = await snapshotTables(tableId, steps);
  const title = transform?.name ?? tables[0]!.name;
  const fileNames = outputFileNames(parsed.fileName ?? title, outputs);
  const options: TExportOptions = {
    transformId: transform?.id ?? null,
    transformName: transform?.name ?? null,
    tables,
    steps,
    ...(input.afterRunJobId ? { afterRunJobId: input.afterRunJobId } : {}),
    // after a run, a destination deleted since fails its step visibly rather than the export
    ...(parsed.deliverTo.length > 0
      ? {
          deliverTo: input.afterRunJobId
            ? parsed.deliverTo
            : await checkFileDestinations(parsed.deliverTo),
        }
      : {}),
  };
  const job = await db.job.create({
    data: {
      kind: "export",
      ...jobTitleFields(title),
      totalItems: outputs.length,
      options: JSON.stringify(options),
      createdById: input.createdById,
      scheduleId: input.scheduleId ?? null,
      exportOutputs: {
        create: outputs.map((output, position) => ({
          position,
          format: output.format,
          spec: JSON.stringify(output),
          fileName: fileNames[position]!,
        })),
      },
    },
  });
  // the tables' files stay stored as long as this export (and its retry) may read them
  await addBlobReferences(tables.map((table) => ({ jobId: job.id, sha256: table.sha256 })));
  await enqueueJob(job);
  return { jobId: job.id };
}

/** The stored file of one finished output, for its download. */
export async function findExportOutput(jobId: string, outputId: string) {
  const output = await db.exportOutput.findFirst({ where: { id: outputId, jobId } });
  if (!output) throw new AppError("NOT_FOUND", "This export file does not exist.");
  if (output.state !== "succeeded" || !output.sha256 || output.bytes === null)
    throw new AppError("CONFLICT", `This file is not ready: the export's file is ${output.state}.`);
  return output as typeof output & { sha256: string; bytes: number };
}
