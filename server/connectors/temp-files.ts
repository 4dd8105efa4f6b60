import fs from "node:fs";

/** Runs a check on a downloaded file and removes the file if the check throws. */
export async function removeOnFailure<T>(file: string, check: () => Promise<T> | T): Promise<T> {
  try {
    return await check();
  } catch (error) {
    fs.rmSync(file, { force: true });
    throw error;
  }
}
