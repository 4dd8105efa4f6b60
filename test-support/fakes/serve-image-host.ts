// Entry point for Playwright's webServer: `tsx test-support/fakes/serve-image-host.ts <port>`.
import { startImageHost } from "./image-host";

const port = Number(process.argv[2] ?? 0);
const host = await startImageHost({ port });
console.log(`image host listening on ${host.url}`);

const stop = () => {
  void host.close().then(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
