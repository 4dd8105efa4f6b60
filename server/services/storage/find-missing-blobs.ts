import "server-only";
import { getRuntime } from "@/server/runtime";

export const MISSING_FILE_ERROR = "the stored file is missing";

const PARALLEL_CHECKS = 16;

/**
 * Which of these stored files are gone or not the size recorded for them, with the reason in plain
 * words. One stat per distinct file, a few at a time: cheap next to streaming the files, and it
 * lets an archive refuse before its first byte instead of stopping in the middle.
 */
export async function findMissingBlobs(
  files: Iterable<{ sha256: string; bytes: number }>,
): Promise<Map<string, string>> {
  const { blobs } = getRuntime();
  const wanted = new Map<string, number>();
  for (const file of files) wanted.set(file.sha256, file.bytes);
  const hashes = [...wanted.keys()];
  const missing = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < hashes.length) {
      const sha256 = hashes[next++]!;
      const stat = await blobs.statBlob(sha256);
      const expected = wanted.get(sha256)!;
      if (!stat) missing.set(sha256, MISSING_FILE_ERROR);
      else if (stat.size !== expected)
        missing.set(
          sha256,
          `the stored file is damaged (${stat.size} bytes instead of ${expected})`,
        );
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_CHECKS, hashes.length) }, worker));
  return missing;
}
