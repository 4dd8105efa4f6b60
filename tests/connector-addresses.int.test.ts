// Saved secrets are write-only and go only to the address they were entered for: an edit that
// points a connector elsewhere must bring the secrets again, and headers that would break a request
// are refused when the connector is saved. Real fakes on loopback, a real SQLite file.
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenFake, readBody, sendText, type ListeningFake } from "@/test-support/fakes/fake-http";
import { startFakeMetabase } from "@/test-support/fakes/metabase";
import { startFakeSalesforce } from "@/test-support/fakes/salesforce";
import { startTestApp } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let metabase: Awaited<ReturnType<typeof startFakeMetabase>>;
let salesforce: Awaited<ReturnType<typeof startFakeSalesforce>>;
/** Another site: it answers everything and remembers what it was sent. */
let elsewhere: ListeningFake;
const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];

const connectors = () => import("@/server/services/connectors/connectors");

beforeAll(async () => {
  [metabase, salesforce] = await Promise.all([startFakeMetabase(), startFakeSalesforce()]);
  elsewhere = await listenFake(undefined, async (req, res, url) => {
    received.push({
      path: url.pathname,
      headers: req.headers,
      body: (await readBody(req)).toString("utf8"),
    });
    sendText(res, 200, "id,name\r\n1,ok\r\n", {}, "text/csv");
  });
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([metabase, salesforce, elsewhere].map((fake) => fake?.close()));
});

function sentElsewhere(): string {
  return JSON.stringify(received);
}

describe("a connector's secrets follow its address", () => {
  it("refuses a new base URL without the secrets, writes nothing, and sends nothing there", async () => {
    const { saveConnector, testConnector } = await connectors();
    const { id } = await saveConnector({
      name: "Metabase moved",
      kind: "metabase",
      baseUrl: metabase.url,
      settings: { authMethod: "api_key" },
      secrets: { apiKey: "mb_test_key" },
    });
    const before = await app.db.connector.findUniqueOrThrow({ where: { id } });

    const moved = saveConnector({
      id,
      name: "Metabase moved",
      kind: "metabase",
      baseUrl: elsewhere.url,
      settings: { authMethod: "api_key" },
    });
    await expect(moved).rejects.toThrow(
      `The address changed from ${metabase.url} to ${elsewhere.url}: enter the API key again, or clear it. Saved secrets are sent only to the address they were entered for.`,
    );
    expect(await app.db.connector.findUniqueOrThrow({ where: { id } })).toEqual(before);
    expect((await testConnector(id)).isOk).toBe(true);
    expect(sentElsewhere()).not.toContain("mb_test_key");
    expect(received).toEqual([]);

    // the same origin written differently is no move: the key stays and still works
    await saveConnector({
      id,
      name: "Metabase moved",
      kind: "metabase",
      baseUrl: `${metabase.url.toUpperCase().replace("HTTP://", "http://")}/`,
      settings: { authMethod: "api_key" },
    });
    expect(await testConnector(id)).toMatchObject({ isOk: true });

    // a key typed with the new address goes there; the old one never does
    await saveConnector({
      id,
      name: "Metabase moved",
      kind: "metabase",
      baseUrl: elsewhere.url,
      settings: { authMethod: "api_key" },
      secrets: { apiKey: "typed-for-elsewhere" },
    });
    await testConnector(id);
    expect(sentElsewhere()).toContain("typed-for-elsewhere");
    expect(sentElsewhere()).not.toContain("mb_test_key");
  });

  it("counts Salesforce's login URL as an address, and clearing a secret is a way through", async () => {
    const { saveConnector, testConnector } = await connectors();
    const settings = { authMethod: "client_credentials", clientId: "sf-client-id" };
    const { id } = await saveConnector({
      name: "Salesforce login",
      kind: "salesforce",
      baseUrl: salesforce.url,
      settings,
      secrets: { clientSecret: "sf-client-secret" },
    });
    expect((await testConnector(id)).isOk).toBe(true);
    const received0 = received.length;

    const edit = {
      id,
      name: "Salesforce login",
      kind: "salesforce" as const,
      baseUrl: salesforce.url,
      settings: { ...settings, loginUrl: `${elsewhere.url}/` },
    };
    await expect(saveConnector(edit)).rejects.toThrow(
      `The login URL changed from ${salesforce.url} to ${elsewhere.url}: enter the consumer secret again, or clear it.`,
    );
    expect(received.length).toBe(received0);

    await saveConnector({ ...edit, clearSecrets: ["clientSecret"] });
    const view = (await (await connectors()).listConnectors()).find((c) => c.id === id);
    expect(view?.secretsSet.clientSecret).toBe(false);
    await testConnector(id);
    expect(sentElsewhere()).not.toContain("sf-client-secret");
  });

  it("counts a URL connector's test URL as an address, naming every secret to enter again", async () => {
    const { saveConnector, testConnector } = await connectors();
    const { id } = await saveConnector({
      name: "CSV with token",
      kind: "http",
      baseUrl: metabase.url,
      settings: { authMethod: "bearer", testUrl: "/api/health" },
      secrets: { token: "csv-token-1", password: "left-from-basic" },
    });
    const moved = {
      id,
      name: "CSV with token",
      kind: "http" as const,
      baseUrl: metabase.url,
      settings: { authMethod: "bearer", testUrl: `${elsewhere.url}/exports/sales.csv` },
    };
    await expect(saveConnector(moved)).rejects.toThrow(
      /^The URL to fetch for “Test connection” changed from http:\/\/127\.0\.0\.1:\d+ to http:\/\/127\.0\.0\.1:\d+: enter the password and the token again, or clear them\./,
    );
    await testConnector(id);
    expect(sentElsewhere()).not.toContain("csv-token-1");
  });

  it("an unsaved edit is never tested: the test signs in with what is saved", async () => {
    const { saveConnector, testConnector } = await connectors();
    const { id } = await saveConnector({
      name: "Tested as saved",
      kind: "metabase",
      baseUrl: metabase.url,
      settings: { authMethod: "api_key" },
      secrets: { apiKey: "mb_test_key" },
    });
    await expect(
      saveConnector({
        id,
        name: "Tested as saved",
        kind: "metabase",
        baseUrl: elsewhere.url,
        settings: { authMethod: "api_key" },
      }),
    ).rejects.toThrow(/enter the API key again/);
    expect(await testConnector(id)).toMatchObject({ isOk: true });
    expect(sentElsewhere()).not.toContain("mb_test_key");
  });
});

describe("headers that would break a request are refused when the connector is saved", () => {
  const base = {
    name: "CSV headers",
    kind: "http" as const,
    baseUrl: "",
  };

  it.each([
    [
      "a line break in a custom header's value",
      { settings: { headers: { "X-Team": "data\r\nX-Admin: 1" } } },
      'The value of the header "X-Team" contains a line break; a header is one line, so remove it.',
    ],
    [
      "a header name with a space",
      { settings: { headers: { "X Team": "data" } } },
      'The header name "X Team" is not valid: use letters, digits and - only, without spaces or a colon.',
    ],
    [
      "a secret header's name with a colon",
      { settings: { authMethod: "header", headerName: "X-Api-Key:" } },
      'The header name "X-Api-Key:" is not valid: use letters, digits and - only, without spaces or a colon.',
    ],
    [
      "a line break in a secret header's value",
      {
        settings: { authMethod: "header", headerName: "X-Api-Key" },
        secrets: { headerValue: "k1\r\nX-Admin: 1" },
      },
      "The header value contains a line break; it is sent in a one-line header, so remove it.",
    ],
    [
      "a line break in a bearer token",
      { settings: { authMethod: "bearer" }, secrets: { token: "t1\nX-Admin: 1" } },
      "The token contains a line break; it is sent in a one-line header, so remove it.",
    ],
  ])("refuses %s, in words, and writes nothing", async (_case, input, message) => {
    const { saveConnector } = await connectors();
    const count = await app.db.connector.count();
    await expect(saveConnector({ ...base, ...input })).rejects.toThrow(message);
    expect(await app.db.connector.count()).toBe(count);
  });

  it("refuses a Metabase API key with a line break, naming it and not quoting it", async () => {
    const { saveConnector } = await connectors();
    const attempt = saveConnector({
      name: "MB newline",
      kind: "metabase",
      baseUrl: metabase.url,
      settings: { authMethod: "api_key" },
      secrets: { apiKey: "mb_secret_part\r\n" },
    });
    await expect(attempt).rejects.toThrow(
      "The API key contains a line break; it is sent in a one-line header, so remove it.",
    );
    await expect(attempt).rejects.not.toThrow(/mb_secret_part/);
  });
});
