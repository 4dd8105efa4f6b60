import "server-only";
import { db } from "@/server/db";
import { jsonRows, jsonTexts } from "@/server/db-dialect";
import { getRuntime } from "@/server/runtime";

/**
 * The one way a file enters the store: its reference row is committed first, then the file is
 * moved in. A delete removes rows only (a job's references go with it); the sweep removes a blob
 * once no reference names it, and re-checks after taking the file out of sight. So a file that
 * lands while another job is deleted is never lost, whichever table will later name its hash.
 */
export async function storeBlob(args: {
  jobId: string;
  tempPath: string;
  sha256: string;
}): Promise<void> {
  await addBlobReferences([{ jobId: args.jobId, sha256: args.sha256 }]);
  await getRuntime().blobs.moveIn(args.tempPath, args.sha256);
}

/** Inserts references that do not exist yet, as one statement (the rows travel as one JSON parameter). */
export async function addBlobReferences(refs: { jobId: string; sha256: string }[]): Promise<void> {
  if (refs.length === 0) return;
  const rows = JSON.stringify(refs.map((r) => [r.sha256, r.jobId]));
  // WHERE true: SQLite's parser needs it between an INSERT's SELECT and its ON CONFLICT
  await db.$executeRaw`
    INSERT INTO "BlobRef" ("sha256", "jobId")
    SELECT "value"->>0, "value"->>1 FROM ${jsonRows(rows)} WHERE true
    ON CONFLICT DO NOTHING`;
}

/** The hashes among `hashes` that some reference still names. */
export async function findReferencedHashes(hashes: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  // a job's files, and the rows of the tables uploaded for transforms
  const rows = await db.$queryRaw<{ sha256: string }[]>`
    SELECT "sha256" FROM "BlobRef" WHERE "sha256" IN (SELECT "value" FROM ${jsonTexts(hashes)})
    UNION
    SELECT "sha256" FROM "DataTable" WHERE "sha256" IN (SELECT "value" FROM ${jsonTexts(hashes)})`;
  return new Set(rows.map((r) => r.sha256));
}
