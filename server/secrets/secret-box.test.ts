import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createSecretBox, loadSecretKey } from "./secret-box";

describe("secret box", () => {
  const box = createSecretBox(crypto.randomBytes(32));

  it("opens what it sealed, and the sealed text does not contain the secret", () => {
    const sealed = box.seal({ password: "hunter2-very-secret" });
    expect(sealed).not.toContain("hunter2");
    expect(box.open(sealed)).toEqual({ password: "hunter2-very-secret" });
    expect(box.seal({ a: 1 })).not.toBe(box.seal({ a: 1 }));
  });

  it("refuses a tampered value and a value sealed with another key", () => {
    const sealed = box.seal({ token: "abc" });
    const parts = sealed.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0]! ^= 1;
    parts[3] = body.toString("base64url");
    expect(() => box.open(parts.join("."))).toThrow(/cannot be opened/);
    expect(() => createSecretBox(crypto.randomBytes(32)).open(sealed)).toThrow(/cannot be opened/);
    expect(() => box.open("plain text")).toThrow(/not sealed by DataHaul/);
  });
});

describe("secret key", () => {
  it("creates an owner-only key file once and reads the same key afterwards", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-key-"));
    const keyFile = path.join(dir, "secret.key");
    const first = loadSecretKey({ keyFile });
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(loadSecretKey({ keyFile }).equals(first)).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });

  it("takes SECRET_KEY as base64 or hex and explains a wrong one", () => {
    const key = crypto.randomBytes(32);
    const keyFile = "/nonexistent/never-read";
    expect(loadSecretKey({ fromEnv: key.toString("base64"), keyFile }).equals(key)).toBe(true);
    expect(loadSecretKey({ fromEnv: key.toString("hex"), keyFile }).equals(key)).toBe(true);
    expect(() => loadSecretKey({ fromEnv: "short", keyFile })).toThrow(/32-byte key/);
  });
});
