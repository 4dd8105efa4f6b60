import "server-only";
import fs from "node:fs";
import { updateCrc32 } from "@/server/crc32";
import { db } from "@/server/db";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";

const REPAIRED_KEY = "repair:crc32-of-large-images";
/** Bodies this large could hold the empty chunk that wiped the running CRC-32 (see server/crc32.ts). */
const AFFECTED_BYTES = 128 * 1024;

/**
 * Recomputes, once per database, the CRC-32 of stored images of 128 KB or more: versions before
 * the fix recorded a wrong one for many of them, and every ZIP would carry it (unzip -t: bad CRC).
 * Returns how many stored files were checked.
 */
export async function repairLargeImageChecksums(): Promise<number> {
  if (await db.setting.findUnique({ where: { key: REPAIRED_KEY } })) return 0;
  const { blobs } = getRuntime();
  const stored = await db.imageItem.findMany({
    where: { state: { in: ["downloaded", "duplicate"] }, bytes: { gte: AFFECTED_BYTES } },
    select: { sha256: true },
    distinct: ["sha256"],
  });
  let fixed = 0;
  for (const { sha256 } of stored) {
    if (!sha256) continue;
    let checksum = 0;
    try {
      for await (const chunk of fs.createReadStream(blobs.pathFor(sha256)))
        checksum = updateCrc32(chunk as Buffer, checksum);
    } catch (error) {
      // a blob already gone (its job deleted meanwhile) has nothing left to repair
      logger.warn({ sha256, err: error }, "could not read a stored image to check its CRC-32");
      continue;
    }
    const { count } = await db.imageItem.updateMany({
      where: { sha256, NOT: { crc32: checksum | 0 } },
      data: { crc32: checksum | 0 },
    });
    fixed += count;
  }
  await db.setting.upsert({
    where: { key: REPAIRED_KEY },
    create: { key: REPAIRED_KEY, value: new Date().toISOString() },
    update: {},
  });
  if (stored.length > 0)
    logger.info({ checked: stored.length, fixed }, "checked the CRC-32 of stored large images");
  return stored.length;
}
