import { execFileSync } from "node:child_process";

/** The entry names of a ZIP file, as Info-ZIP's `unzip -Z1` lists them. */
export function zipEntries(file: string): string[] {
  return execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).trim().split("\n");
}

/** One entry of a ZIP file as text, as `unzip -p` writes it. */
export function zipEntryText(file: string, name: string): string {
  return execFileSync("unzip", ["-p", file, name], { encoding: "utf8" });
}

/** Whether Info-ZIP's `unzip -t` finds every entry intact (CRC-32 and sizes). */
export function isZipIntact(file: string): boolean {
  return execFileSync("unzip", ["-t", file], { encoding: "utf8" }).includes("No errors detected");
}
