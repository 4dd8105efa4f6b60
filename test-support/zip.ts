import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

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

/**
 * A ZIP made by Info-ZIP's `zip` from files given as name → content (folders in names are made),
 * with `zip`'s own options (`["-P", "secret"]` for a password, `["-0"]` to store). `-X` leaves
 * out extra attributes, so archives are alike on every machine.
 */
export function makeZip(
  files: Record<string, string | Uint8Array>,
  options: string[] = [],
): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-make-zip-"));
  try {
    for (const [name, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, "in", name)), { recursive: true });
      fs.writeFileSync(path.join(dir, "in", name), content);
    }
    const out = path.join(dir, "out.zip");
    execFileSync("zip", ["-q", "-X", ...options, out, ...Object.keys(files)], {
      cwd: path.join(dir, "in"),
    });
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
