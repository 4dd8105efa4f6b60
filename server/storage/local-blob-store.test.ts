import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLocalBlobStore } from "./local-blob-store";

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function makeStore() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "blobs-"));
  roots.push(root);
  return createLocalBlobStore(root);
}

function writeTemp(dir: string, content: string) {
  const file = path.join(dir, crypto.randomUUID());
  fs.writeFileSync(file, content);
  return { file, sha256: crypto.createHash("sha256").update(content).digest("hex") };
}

describe("local blob store", () => {
  it("stores equal bytes once under their hash and reads them back", async () => {
    const store = makeStore();
    const a = writeTemp(store.tempDir, "same bytes");
    const b = writeTemp(store.tempDir, "same bytes");
    await store.putFile(a.file, a.sha256);
    await store.putFile(b.file, b.sha256);
    expect(fs.existsSync(a.file) || fs.existsSync(b.file)).toBe(false);
    expect(await store.has(a.sha256)).toBe(true);
    expect(fs.readFileSync(store.pathFor(a.sha256), "utf8")).toBe("same bytes");
    await store.delete(a.sha256);
    expect(await store.has(a.sha256)).toBe(false);
  });

  it("refuses keys that are not SHA-256 digests, so no key can walk out of the store", () => {
    const store = makeStore();
    expect(() => store.pathFor("../../etc/passwd")).toThrow(/not a SHA-256/);
  });

  it("reports a writable volume with free space", async () => {
    const result = await makeStore().check();
    expect(result.isWritable).toBe(true);
    expect(result.freeBytes).toBeGreaterThan(0);
  });
});
