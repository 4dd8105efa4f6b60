// The reference the issue names: a bare undici script with SHA-256, nothing else (no database, no
// job, no limits beyond 32 at once). Usage: node bench/bare-undici.mjs <list-file> <out-dir>
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Agent, request } from "undici";

const [listFile, outDir] = process.argv.slice(2);
const urls = fs.readFileSync(listFile, "utf8").trim().split("\n");
const agent = new Agent({ connections: 32, pipelining: 1 });
let next = 0;

async function worker() {
  while (next < urls.length) {
    const index = next++;
    const { statusCode, body } = await request(urls[index], { dispatcher: agent });
    if (statusCode !== 200) throw new Error(`${urls[index]}: ${statusCode}`);
    const hash = crypto.createHash("sha256");
    const file = fs.createWriteStream(path.join(outDir, `${index}.png`));
    for await (const chunk of body) {
      hash.update(chunk);
      if (!file.write(chunk)) await new Promise((r) => file.once("drain", r));
    }
    await new Promise((resolve, reject) =>
      file.end((error) => (error ? reject(error) : resolve())),
    );
    hash.digest("hex");
  }
}

await Promise.all(Array.from({ length: 32 }, worker));
await agent.close();
