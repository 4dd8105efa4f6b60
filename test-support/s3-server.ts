import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export type TLocalS3 = {
  endpoint: string;
  bucket: string;
  /** s3rver's fixed test keys */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** the STORAGE=s3 variables that point the app at this server */
  env: Record<string, string>;
  close(): Promise<void>;
};

/**
 * Starts s3rver (a local S3-compatible server from npm) in a child process on 127.0.0.1, with a
 * fresh folder and one bucket; close() stops it and removes the folder.
 */
export async function startLocalS3(bucket = "datahaul"): Promise<TLocalS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-s3-"));
  const child = spawn(
    process.execPath,
    // s3rver 3.7 signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 18 and
    // later) only offers through its legacy provider: without it every listing of more than one
    // page fails with HTTP 500 ("digital envelope routines::unsupported")
    [
      "--openssl-legacy-provider",
      path.resolve("test-support/s3-server-child.mjs"),
      directory,
      bucket,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited (${code}) before it listened`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
  return {
    endpoint,
    bucket,
    credentials,
    env: {
      STORAGE: "s3",
      S3_BUCKET: bucket,
      S3_REGION: "us-east-1",
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: "true",
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
