// Entry point for Playwright's webServer: `tsx test-support/fakes/serve-report-fakes.ts <basePort>`.
// Metabase on basePort, Superset on +1, Salesforce on +2, CSV host on +3; each answers /health.
import { startFakeCsvHost } from "./csv-host";
import { startFakeMetabase } from "./metabase";
import { startFakeSalesforce } from "./salesforce";
import { startFakeSuperset } from "./superset";

const basePort = Number(process.argv[2] ?? 0);
if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65532) {
  console.error("usage: tsx test-support/fakes/serve-report-fakes.ts <basePort>");
  process.exit(2);
}
// Port 0 means "any free port" for every fake rather than 0, 1, 2, 3.
const portAt = (offset: number) => (basePort === 0 ? 0 : basePort + offset);

const fakes = [
  { name: "metabase", fake: await startFakeMetabase({ port: portAt(0) }) },
  { name: "superset", fake: await startFakeSuperset({ port: portAt(1) }) },
  { name: "salesforce", fake: await startFakeSalesforce({ port: portAt(2) }) },
  { name: "csv host", fake: await startFakeCsvHost({ port: portAt(3) }) },
];
for (const { name, fake } of fakes) console.log(`fake ${name} listening on ${fake.url}`);

const stop = () => {
  void Promise.all(fakes.map(({ fake }) => fake.close())).then(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
