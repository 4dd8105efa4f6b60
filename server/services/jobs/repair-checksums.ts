import "server-only";
import type { Readable } from "node:stream";
import { updateCrc32 } from "@/server/crc32";
import { db } from "@/server/db";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";

const REPAIRED_KEY = "repair:crc32-of-large-images";
/**
 * Bodies larger than this could hold the empty chunk that wiped the running CRC-32 (server/crc32.ts):
 * undici hands one over when it resumes a paused body, and the response stream pauses once 64 KiB
 * are queued.
 */
const AFFECTED_BYTES = 64 * 1024;
const HASHES_PER_PAGE = 500;

/**
 * Recomputes, once per database, the CRC-32 of stored images over 64 KiB: versions before the fix
 * recorded a wrong one for some of them, and every ZIP carried it (unzip -t: bad CRC). A file that
 * could not be read for another reason than being gone leaves the repair undone, to try again at
 * the next start. Returns how many stored files were checked.
 */
export async function repairLargeImageChecksums(): Promise<number> {
  if (await db.setting.findUnique({ where: { key: REPAIRED_KEY } })) return 0;
  const { blobs } = getRuntime();
  let checked = 0;
  let fixed = 0;
  let unreadable = 0;
  // a page of distinct hashes at a time, through the sha256 index: a large store is never held
  for (let after = ""; ;) {
    const page = await db.$queryRaw<{ sha256: string }[]>`
      SELECT DISTINCT "sha256" FROM "ImageItem"
      WHERE "sha256" > ${after} AND "bytes" > ${AFFECTED_BYTES} AND "state" IN ('downloaded', 'duplicate')
      ORDER BY "sha256" LIMIT ${HASHES_PER_PAGE}`;
    if (page.length === 0) break;
    for (const { sha256 } of page) {
      const checksum = await crc32OfBlob(sha256, blobs.openRead(sha256));
      if (checksum === "gone") continue;
      if (checksum === "unreadable") {
        unreadable++;
        continue;
      }
      checked++;
      const { count } = await db.imageItem.updateMany({
        where: { sha256, NOT: { crc32: checksum | 0 } },
        data: { crc32: checksum | 0 },
      });
      fixed += count;
    }
    after = page.at(-1)!.sha256;
  }
  if (checked + unreadable > 0)
    logger.info({ checked, fixed, unreadable }, "checked the CRC-32 of stored large images");
  if (unreadable > 0) return checked;
  await db.setting.upsert({
    where: { key: REPAIRED_KEY },
    create: { key: REPAIRED_KEY, value: new Date().toISOString() },
    update: {},
  });
  return checked;
}

async function crc32OfBlob(
  sha256: string,
  stream: Readable,
): Promise<number | "gone" | "unreadable"> {
  let checksum = 0;
  try {
    for await (const chunk of stream) checksum = updateCrc32(chunk as Buffer, checksum);
    return checksum;
  } catch (error) {
    // a blob whose jobs were deleted meanwhile has nothing left to repair
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    logger.warn({ sha256, err: error }, "could not read a stored image to check its CRC-32");
    return "unreadable";
  }
}
