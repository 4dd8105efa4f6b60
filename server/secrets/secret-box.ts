import crypto from "node:crypto";
import fs from "node:fs";

const VERSION = "v1";
const KEY_BYTES = 32;
const IV_BYTES = 12;

/**
 * Seals small JSON documents (connector secrets) with AES-256-GCM. The authentication tag makes a
 * tampered or foreign value fail to open instead of decrypting to garbage.
 */
export type SecretBox = {
  seal(value: unknown): string;
  open<T = unknown>(sealed: string): T;
};

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) throw new Error(`the secret key must be ${KEY_BYTES} bytes`);
  return {
    seal(value) {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv, tag, body]
        .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
        .join(".");
    },
    open<T>(sealed: string): T {
      const [version, iv, tag, body] = sealed.split(".");
      if (version !== VERSION || !iv || !tag || body === undefined) {
        throw new Error("this secret was not sealed by DataHaul");
      }
      const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      try {
        const text = Buffer.concat([
          decipher.update(Buffer.from(body, "base64url")),
          decipher.final(),
        ]).toString("utf8");
        return JSON.parse(text) as T;
      } catch {
        throw new Error(
          "a stored secret cannot be opened with this key (was SECRET_KEY or data/secret.key changed?)",
        );
      }
    },
  };
}

/** SECRET_KEY from the environment (32 bytes as base64 or hex), else a key file created on first run. */
export function loadSecretKey(args: { fromEnv?: string; keyFile: string }): Buffer {
  if (args.fromEnv) return parseKey(args.fromEnv, "SECRET_KEY");
  try {
    return parseKey(fs.readFileSync(args.keyFile, "utf8").trim(), args.keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = crypto.randomBytes(KEY_BYTES);
  try {
    // owner-only, and never overwrite: a second process starting at the same moment keeps the first key
    fs.writeFileSync(args.keyFile, key.toString("base64"), { mode: 0o600, flag: "wx" });
    return key;
  } catch {
    return parseKey(fs.readFileSync(args.keyFile, "utf8").trim(), args.keyFile);
  }
}

function parseKey(text: string, source: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `${source} must hold a 32-byte key as base64 or 64 hex characters (e.g. \`openssl rand -base64 32\`)`,
    );
  }
  return key;
}
