import { createHash, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { plainIssueMessage } from "@/server/field-errors";
import { formatBytes } from "@/server/format-bytes";
import type { z } from "@/server/forms/zod";
import { DeliveryError, type TDeliveredFile, type TDeliveryFile } from "./types";

/**
 * Settings or secrets checked against their schema, with defaults filled in. A stored value can
 * predate a change of the form, so it is parsed at every use rather than trusted. The message
 * names fields, never values: a secret's schema must not echo what was typed.
 */
export function parseDeliveryInput<TSchema extends z.ZodType>(
  schema: TSchema,
  value: unknown,
  what: string,
): z.output<TSchema> {
  const parsed = schema.safeParse(value, { error: plainIssueMessage });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
  );
  throw new DeliveryError(`The ${what} need a fix: ${problems.join(" ")}`, { isPermanent: true });
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DeliveryError("the delivery was cancelled");
}

export const countFiles = (count: number) => `${count} file${count === 1 ? "" : "s"}`;

export const describeSize = (bytes: number) => formatBytes(bytes);

/** The longest a temp name's copy of the real name gets: the whole name must fit in 255 bytes. */
const TEMP_NAME_STEM_BYTES = 120;

/**
 * `.name.tmp-<random>`: hidden on Unix shares, next to the file it becomes so the rename stays on
 * one file system, and random so two deliveries of the same file never write into each other.
 */
export function tempNameFor(name: string): string {
  let stem = name;
  while (Buffer.byteLength(stem) > TEMP_NAME_STEM_BYTES)
    stem = Array.from(stem).slice(0, -1).join("");
  return `.${stem}.tmp-${randomBytes(6).toString("hex")}`;
}

/**
 * Counts and hashes the bytes that go through it and fails the stream at its end when they are not
 * the file the run recorded: a file changed or cut short under a delivery must not arrive as if it
 * were the run's output.
 */
export function checkedCopyOf(file: TDeliveryFile): Transform {
  const hash = createHash("sha256");
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      bytes += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      const sha256 = hash.digest("hex");
      if (bytes !== file.bytes || sha256 !== file.sha256.toLowerCase()) {
        done(
          new DeliveryError(
            `the file ${file.name} is not the one the run produced (${describeSize(bytes)} read, ${describeSize(file.bytes)} recorded${bytes === file.bytes ? ", different contents" : ""}); it was not delivered`,
          ),
        );
        return;
      }
      done();
    },
  });
}

/** The first line of an outside library's message, short enough for a run page. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.trim().slice(0, 300);
}

/**
 * Sends files one after another and, when one fails, says how many had arrived before it: a
 * delivery that stops half-way must not read as one that sent nothing, nor as one that sent all.
 */
export async function deliverEach<T>(
  items: T[],
  deliverOne: (item: T, index: number) => Promise<TDeliveredFile>,
  signal: AbortSignal | undefined,
): Promise<TDeliveredFile[]> {
  const delivered: TDeliveredFile[] = [];
  for (const [index, item] of items.entries()) {
    try {
      throwIfCancelled(signal);
      delivered.push(await deliverOne(item, index));
    } catch (error) {
      const message = error instanceof DeliveryError ? error.message : firstLine(error);
      const before =
        delivered.length > 0
          ? ` (${delivered.length} of ${items.length} files had been delivered before it)`
          : "";
      throw new DeliveryError(`${message}${before}`, {
        delivered,
        isPermanent: error instanceof DeliveryError && error.isPermanent,
        cause: error,
      });
    }
  }
  return delivered;
}
