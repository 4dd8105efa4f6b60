import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TDeliveryFile } from "@/server/deliveries/types";

export type TFileSpec = {
  name: string;
  content: Buffer | string;
  contentType?: string;
  report?: string;
};

/** Bytes that differ from run to run and compress badly, so a copy that is off shows. */
export function noise(bytes: number, seed = 1): Buffer {
  const out = Buffer.alloc(bytes);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

export const sha256Of = (bytes: Buffer | string) =>
  createHash("sha256").update(bytes).digest("hex");

/**
 * A run's output as a delivery gets it: real files in a temp folder with their size and hash.
 * `remove()` takes the folder away.
 */
export function makeDeliveryFiles(specs: TFileSpec[]): {
  files: TDeliveryFile[];
  dir: string;
  remove(): void;
} {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-delivery-files-"));
  const files = specs.map((spec, index) => {
    const filePath = path.join(dir, `${index}-${spec.name}`);
    fs.writeFileSync(filePath, spec.content);
    const bytes = Buffer.byteLength(spec.content);
    return {
      name: spec.name,
      path: filePath,
      bytes,
      sha256: sha256Of(spec.content),
      contentType: spec.contentType ?? "text/csv; charset=utf-8",
      ...(spec.report ? { report: spec.report } : {}),
    };
  });
  return { files, dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
