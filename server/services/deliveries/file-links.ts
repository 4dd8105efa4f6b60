import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";
import type { TDeliveryJobOptions } from "./start-deliveries";

/** How long a link in an e-mail or a webhook call works. */
export const FILE_LINK_DAYS = 7;

function signatureOf(deliveryId: string, index: number, expires: number): string {
  return createHmac("sha256", env.authSecret)
    .update(`delivery-file\n${deliveryId}\n${index}\n${expires}`)
    .digest("base64url");
}

/**
 * A link to one delivered file that works without signing in until it expires: what an e-mail or
 * a webhook receiver follows. Null without APP_URL, the address people reach this server at.
 */
export function signedFileLink(deliveryId: string, index: number, now = Date.now()): string | null {
  if (!env.APP_URL) return null;
  const expires = Math.floor(now / 1000) + FILE_LINK_DAYS * 24 * 60 * 60;
  const url = new URL(`/api/deliveries/${deliveryId}/files/${index}`, env.APP_URL);
  url.searchParams.set("expires", String(expires));
  url.searchParams.set("signature", signatureOf(deliveryId, index, expires));
  return url.toString();
}

/** Whether a link's signature is ours and its time has not run out, in words when not. */
export function checkFileLink(
  deliveryId: string,
  index: number,
  query: URLSearchParams,
  now = Date.now(),
): { isValid: true } | { isValid: false; status: 403 | 410; message: string } {
  const expires = Number(query.get("expires"));
  const given = Buffer.from(query.get("signature") ?? "");
  const expected = Buffer.from(signatureOf(deliveryId, index, expires));
  if (
    !Number.isInteger(expires) ||
    given.length !== expected.length ||
    !timingSafeEqual(given, expected)
  ) {
    return { isValid: false, status: 403, message: "This download link is not valid." };
  }
  if (expires * 1000 < now) {
    return {
      isValid: false,
      status: 410,
      message: `This download link has expired (links work for ${FILE_LINK_DAYS} days). Sign in to DataHaul to download the file from its run.`,
    };
  }
  return { isValid: true };
}

/**
 * The file a signed link names, from the delivery job's own copy of the list (the job keeps the
 * files stored while it exists, whatever happens to the run they came from).
 */
export async function openLinkedFile(deliveryId: string, index: number) {
  const delivery = await db.delivery.findUnique({
    where: { id: deliveryId },
    include: { job: { select: { options: true } } },
  });
  const options = delivery
    ? (JSON.parse(delivery.job.options) as Pick<TDeliveryJobOptions, "files">)
    : null;
  const file = options?.files[index];
  if (!file) {
    throw new AppError(
      "NOT_FOUND",
      "This file is no longer kept: its delivery was removed (finished jobs are removed after the retention period).",
    );
  }
  return {
    fileName: file.name,
    size: file.bytes,
    contentType: file.contentType,
    stream: getRuntime().blobs.openRead(file.sha256),
  };
}
