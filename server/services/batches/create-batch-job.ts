import "server-only";
import { DEFAULT_MAX_IMAGES, scanBatchInput } from "@/server/batches/input";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";
import { insertBatchRows } from "./item-rows";
import { IMAGE_BATCH_QUEUE } from "./run-batch-job";

const ROWS_PER_WRITE = 1_000;

type TProductRow = { id: string; number: string; position: number };
type TItemRow = { productId: string; position: number; line: number; url: string };

/**
 * Re-validates the input on the server (the browser's preview is only a preview) and writes the
 * job, its products and every item in one transaction: either the whole batch is accepted or none
 * of it. Rows are stored a thousand at a time as the analysis reaches them, so a 100,000-row paste
 * is never held as rows, images and items all at once.
 */
export async function createBatchJob(args: {
  userId: string;
  text: string;
  source: "paste" | "csv";
  title?: string;
}): Promise<{ jobId: string; images: number; products: number; skippedRows: number }> {
  const givenTitle = args.title?.trim();
  const { jobId, summary } = await db.$transaction(
    async (tx) => {
      const job = await tx.job.create({
        data: {
          kind: "image_batch",
          // the default title needs the totals: it is written once the rows are stored
          title: givenTitle || "",
          status: "queued",
          totalItems: 0,
          createdById: args.userId,
        },
      });
      // Products are numbered by first appearance in the input, error rows included, as the
      // preview lists them; a product with only errors takes a number but is never stored.
      const rankByProduct = new Map<string, number>();
      const stored = new Map<string, { id: string; images: number }>();
      let products: TProductRow[] = [];
      let items: TItemRow[] = [];
      let itemCount = 0;
      const write = async () => {
        await insertBatchRows(tx, job.id, products, items);
        products = [];
        items = [];
      };

      const scan = scanBatchInput(args.text, { source: args.source });
      let step = scan.next();
      for (; !step.done; step = scan.next()) {
        const row = step.value;
        if (row.product !== "" && !rankByProduct.has(row.product))
          rankByProduct.set(row.product, rankByProduct.size + 1);
        // past the limit the batch is refused at the end: counting goes on, storing does not
        if (row.verdict !== "ok" || ++itemCount > DEFAULT_MAX_IMAGES) continue;
        let product = stored.get(row.product);
        if (!product) {
          product = { id: crypto.randomUUID(), images: 0 };
          stored.set(row.product, product);
          const position = rankByProduct.get(row.product)!;
          products.push({ id: product.id, number: row.product, position });
        }
        product.images++;
        items.push({
          productId: product.id,
          position: product.images,
          line: row.line,
          url: row.url,
        });
        if (items.length === ROWS_PER_WRITE) await write();
      }
      const summary = step.value;
      if (summary.fatal) throw new AppError("BAD_REQUEST", summary.fatal);
      if (summary.totals.images === 0) {
        throw new AppError(
          "BAD_REQUEST",
          "No valid rows to download: fix the rows marked as errors and analyze again.",
        );
      }
      await write();
      await tx.job.update({
        where: { id: job.id },
        data: {
          totalItems: summary.totals.images,
          // shown on the job page: what Analyze left out is part of what the user asked for
          options: JSON.stringify({
            skippedEntries: summary.totals.errors + summary.totals.duplicates,
          }),
          title: givenTitle || defaultTitle(summary.totals.products, summary.totals.images),
        },
      });
      return { jobId: job.id, summary };
      // a 100,000-image batch takes a few seconds to insert; the default 5 s would cut it off
    },
    { timeout: 120_000 },
  );

  await getRuntime().queue.enqueue(IMAGE_BATCH_QUEUE, { jobId }, { key: jobId });
  return {
    jobId,
    images: summary.totals.images,
    products: summary.totals.products,
    skippedRows: summary.totals.errors + summary.totals.duplicates,
  };
}

function defaultTitle(products: number, images: number): string {
  const stamp = new Date().toISOString().slice(0, 16).replace("T", " ");
  const count = (n: number, noun: string) =>
    `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
  return `${count(images, "image")} of ${count(products, "product")} · ${stamp} UTC`;
}
