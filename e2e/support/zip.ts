import { execFileSync } from "node:child_process";

/** The entry names of a ZIP file, as Info-ZIP's `unzip -Z1` lists them. */
export function zipEntries(file: string): string[] {
  return execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).trim().split("\n");
}
