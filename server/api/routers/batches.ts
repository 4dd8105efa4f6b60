import "server-only";
import { z } from "zod";
import { analyzeBatch } from "../../services/batches/analyze-batch";
import { createBatchJob } from "../../services/batches/create-batch-job";
import { runBatchAgain } from "../../services/batches/run-batch-again";
import { listSkippedRows } from "../../services/batches/list-skipped-rows";
import { MAX_UPLOAD_BYTES } from "@/server/batches/input";
import type { TBatchInput } from "../../services/batches/read-batch-input";
import { ZImageBatchOptions } from "@/server/batches/image-batch-options";
import { createTRPCRouter, protectedProcedure } from "../trpc";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The input of analyze and create: pasted text, or an uploaded file's bytes as base64. */
const ZBatchInput = z
  .object({
    text: z.string().max(MAX_UPLOAD_BYTES, "The input is larger than 64 MB.").optional(),
    fileBase64: z
      .string()
      .max(Math.ceil(MAX_UPLOAD_BYTES / 3) * 4, "The file is larger than 64 MB.")
      .regex(BASE64, "fileBase64 is not base64 (A-Z, a-z, 0-9, + and /, with = at the end).")
      .optional(),
    /** which spreadsheet of an uploaded ZIP to read; without it the image list among them */
    entry: z.string().min(1).max(1000).optional(),
    source: z.enum(["paste", "csv"]),
  })
  .refine((input) => (input.text === undefined) !== (input.fileBase64 === undefined), {
    message: "Send the rows as text or as fileBase64 (one of the two).",
  })
  .refine((input) => input.entry === undefined || input.fileBase64 !== undefined, {
    message: "entry names a file inside an uploaded ZIP: send it with fileBase64.",
  })
  .refine((input) => input.text !== "" && input.fileBase64 !== "", {
    message: "Paste some rows or choose a CSV file first.",
  })
  .transform((input): TBatchInput =>
    input.fileBase64 === undefined
      ? { source: input.source, text: input.text! }
      : {
          source: input.source,
          bytes: Buffer.from(input.fileBase64, "base64"),
          entry: input.entry,
        },
  );

export const ZCreateBatchInput = z.intersection(
  ZBatchInput,
  z.object({
    title: z.string().max(200).optional(),
    idempotencyKey: z
      .string()
      .min(8, "The idempotency key must be 8 to 200 characters long.")
      .max(200, "The idempotency key must be 8 to 200 characters long.")
      .optional(),
    /** file-name template and conversion of the images (see README, "Image names and conversion") */
    options: ZImageBatchOptions.optional(),
  }),
);

export const batchesRouter = createTRPCRouter({
  analyze: protectedProcedure.input(ZBatchInput).mutation(({ input }) => analyzeBatch(input)),
  create: protectedProcedure
    .input(ZCreateBatchInput)
    .mutation(({ ctx, input }) => createBatchJob({ userId: ctx.user.id, ...input })),
  runAgain: protectedProcedure
    .input(z.object({ jobId: z.uuid() }))
    .mutation(({ ctx, input }) => runBatchAgain(input.jobId, ctx.user.id)),
  skippedRows: protectedProcedure
    .input(z.object({ jobId: z.uuid(), page: z.number().int().min(0).default(0) }))
    .query(({ input }) => listSkippedRows(input)),
});
