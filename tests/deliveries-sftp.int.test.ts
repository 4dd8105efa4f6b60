// SFTP deliveries against a real SSH server (ssh2's Server with an SFTP subsystem over a temp
// folder, test-support/sftp-server.ts): password and key sign-in, the host key pinned on first
// use, temp name then rename (OpenSSH's posix-rename, or remove and rename without it), and
// nothing left behind when the server fails a write.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { utils } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSftpDelivery, deliverBySftp, testSftp } from "@/server/deliveries/sftp";
import { DeliveryError } from "@/server/deliveries/types";
import { makeDeliveryFiles, noise } from "@/test-support/delivery-files";
import { startLocalSftp, type TLocalSftp } from "@/test-support/sftp-server";
import { waitFor } from "@/test-support/wait-for";

const USER = "reports";
const PASSWORD = "correct horse battery staple";
const clientKey = utils.generateKeyPairSync("ed25519");
const context = { summary: { run: { id: "run-5678" } }, date: new Date("2026-11-23T09:00:00Z") };

let plain: TLocalSftp;
let openssh: TLocalSftp;
const made = makeDeliveryFiles([
  { name: "Sales.csv", content: "region,amount\r\nNorth,12.50\r\n" },
  // larger than ssh2's 32 KB writes, so the upload takes many WRITE requests
  { name: "Orders.csv", content: noise(700 * 1024, 3) },
]);

const settingsFor = (server: TLocalSftp, more: Record<string, unknown> = {}) => ({
  host: server.host,
  port: server.port,
  username: USER,
  ...more,
});

/** What the server's folder holds, hidden files included. */
const remoteFiles = (server: TLocalSftp, folder = "") =>
  fs.existsSync(path.join(server.root, folder))
    ? fs.readdirSync(path.join(server.root, folder)).sort()
    : [];

beforeAll(async () => {
  [plain, openssh] = await Promise.all([
    startLocalSftp({ username: USER, password: PASSWORD, publicKey: clientKey.public }),
    startLocalSftp({ username: USER, password: PASSWORD, posixRename: true }),
  ]);
});

afterAll(async () => {
  await Promise.all([plain?.close(), openssh?.close()]);
  made.remove();
});

describe("SFTP delivery", () => {
  it("uploads under temp names, renames them into place, and records the host key on first use", async () => {
    const result = await deliverBySftp(
      settingsFor(plain, {
        remoteDirectory: "/incoming/daily",
        fileNameTemplate: "{report}_{date:yyyyMMdd}.csv",
      }),
      { password: PASSWORD },
      made.files,
      context,
    );
    // the fingerprint the server computed from its own key line, as ssh-keygen -l prints it
    expect(result.fingerprint).toBe(plain.fingerprint);
    expect(result.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(remoteFiles(plain, "incoming/daily")).toEqual([
      "Orders_20261123.csv",
      "Sales_20261123.csv",
    ]);
    expect(
      fs.readFileSync(path.join(plain.root, "incoming/daily/Sales_20261123.csv"), "utf8"),
    ).toBe("region,amount\r\nNorth,12.50\r\n");
    expect(
      fs
        .readFileSync(path.join(plain.root, "incoming/daily/Orders_20261123.csv"))
        .equals(noise(700 * 1024, 3)),
    ).toBe(true);
    expect(result.files.map((file) => file.location)).toEqual([
      `sftp://127.0.0.1:${plain.port}/incoming/daily/Sales_20261123.csv`,
      `sftp://127.0.0.1:${plain.port}/incoming/daily/Orders_20261123.csv`,
    ]);
    expect(result.message).toBe(
      `2 files uploaded to /incoming/daily on 127.0.0.1:${plain.port} (host key ${plain.fingerprint} recorded)`,
    );
    // the real names were only ever renamed to, never opened for writing
    const opens = plain.operations.filter((op) => op.startsWith("OPEN "));
    expect(opens).toHaveLength(2);
    for (const op of opens)
      expect(op).toMatch(
        /^OPEN \/incoming\/daily\/\.(Sales|Orders)_20261123\.csv\.tmp-[0-9a-f]{12} wx$/,
      );
    expect(plain.operations.filter((op) => op.startsWith("RENAME "))).toHaveLength(2);
  });

  it("signs in with a private key, and replaces an existing file by removing it first without posix-rename", async () => {
    plain.operations.length = 0;
    fs.mkdirSync(path.join(plain.root, "keyed"), { recursive: true });
    fs.writeFileSync(path.join(plain.root, "keyed", "Sales.csv"), "old\n");
    const delivery = createSftpDelivery();
    const result = await delivery.deliver(
      settingsFor(plain, { remoteDirectory: "keyed", hostKeyFingerprint: plain.fingerprint }),
      { privateKey: clientKey.private },
      made.files.slice(0, 1),
      context,
    );
    expect(result.message).toBe(`1 file uploaded to /keyed on 127.0.0.1:${plain.port}`);
    expect(plain.operations).toContain("AUTH publickey");
    expect(plain.operations).not.toContain("AUTH password");
    expect(fs.readFileSync(path.join(plain.root, "keyed", "Sales.csv"), "utf8")).toBe(
      "region,amount\r\nNorth,12.50\r\n",
    );
    const steps = plain.operations.filter((op) => /^(RENAME|REMOVE|POSIX-RENAME) /.test(op));
    expect(steps).toEqual([
      expect.stringMatching(/^RENAME \/keyed\/\.Sales\.csv\.tmp-\w+ \/keyed\/Sales\.csv$/),
      "REMOVE /keyed/Sales.csv",
      expect.stringMatching(/^RENAME \/keyed\/\.Sales\.csv\.tmp-\w+ \/keyed\/Sales\.csv$/),
    ]);
    expect(remoteFiles(plain, "keyed")).toEqual(["Sales.csv"]);
  });

  it("replaces an existing file in one step where the server offers posix-rename", async () => {
    fs.writeFileSync(path.join(openssh.root, "Sales.csv"), "old\n");
    await deliverBySftp(
      settingsFor(openssh),
      { password: PASSWORD },
      made.files.slice(0, 1),
      context,
    );
    const steps = openssh.operations.filter((op) => /^(RENAME|REMOVE|POSIX-RENAME) /.test(op));
    expect(steps).toEqual([
      expect.stringMatching(/^POSIX-RENAME \/\.Sales\.csv\.tmp-\w+ \/Sales\.csv$/),
    ]);
    expect(fs.readFileSync(path.join(openssh.root, "Sales.csv"), "utf8")).toBe(
      "region,amount\r\nNorth,12.50\r\n",
    );
    expect(remoteFiles(openssh)).toEqual(["Sales.csv"]);
  });

  it("refuses a server whose host key differs from the recorded one, before any credential is sent", async () => {
    openssh.operations.length = 0;
    // the first server's fingerprint stored, the second server answering: an impostor
    const failure = (await deliverBySftp(
      settingsFor(openssh),
      { password: PASSWORD },
      made.files,
      context,
      { knownFingerprint: plain.fingerprint },
    ).catch((error: unknown) => error)) as DeliveryError;
    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure.isPermanent).toBe(true);
    expect(failure.message).toBe(
      `the SFTP server 127.0.0.1:${openssh.port} presented the host key ${openssh.fingerprint}, but ${plain.fingerprint} was recorded when DataHaul first connected to it; nothing was sent. If the server's key was changed on purpose, clear the stored fingerprint to accept the new one; otherwise someone may be intercepting the connection`,
    );
    expect(failure.message).not.toContain(PASSWORD);
    expect(openssh.operations.filter((op) => op.startsWith("AUTH"))).toEqual([]);
    expect(openssh.operations.filter((op) => op.startsWith("OPEN"))).toEqual([]);
  });

  it("leaves neither a temp file nor a changed file when the server fails a write", async () => {
    fs.mkdirSync(path.join(plain.root, "full"));
    fs.writeFileSync(path.join(plain.root, "full", "Orders.csv"), "yesterday\n");
    plain.failWritesBeyond(100 * 1024);
    try {
      const failure = (await deliverBySftp(
        settingsFor(plain, { remoteDirectory: "full" }),
        { password: PASSWORD },
        made.files,
        context,
      ).catch((error: unknown) => error)) as DeliveryError;
      // the library's put may resolve or reject after a refused write; either way it is told
      expect(failure.message).toMatch(
        new RegExp(
          `^Orders\\.csv (did not arrive whole on 127\\.0\\.0\\.1:${plain.port}: it kept [\\d,]+ of 716,800 bytes \\(is its disk full\\?\\)|could not be written to /full on 127\\.0\\.0\\.1:${plain.port} \\(the server reported a failure, such as a full disk or quota\\)) \\(1 of 2 files had been delivered before it\\)$`,
        ),
      );
      expect(failure.delivered.map((file) => file.deliveredAs)).toEqual(["Sales.csv"]);
    } finally {
      plain.failWritesBeyond(null);
    }
    expect(remoteFiles(plain, "full")).toEqual(["Orders.csv", "Sales.csv"]);
    expect(fs.readFileSync(path.join(plain.root, "full", "Orders.csv"), "utf8")).toBe(
      "yesterday\n",
    );
  });

  it("names a wrong password and an unreachable port in plain words, without the password", async () => {
    const wrong = await deliverBySftp(
      settingsFor(plain),
      { password: "hunter2-wrong" },
      made.files,
      context,
    ).catch((error: unknown) => error as Error);
    expect(wrong.message).toBe(
      `the SFTP server 127.0.0.1:${plain.port} refused the password of reports`,
    );
    expect(wrong.message).not.toContain("hunter2");

    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    await expect(
      deliverBySftp(
        { host: "127.0.0.1", port: closedPort, username: USER },
        { password: PASSWORD },
        made.files,
        context,
      ),
    ).rejects.toThrow(
      `127.0.0.1:${closedPort} refused the connection (is an SFTP server listening there?)`,
    );

    await expect(deliverBySftp(settingsFor(plain), {}, made.files, context)).rejects.toThrow(
      "The SFTP delivery's secrets need a fix: Give a password or a private key.",
    );
  });

  it("tests the connection by writing and removing a file, and tells a recorded key from a new one", async () => {
    const first = await testSftp(settingsFor(plain, { remoteDirectory: "tested" }), {
      password: PASSWORD,
    });
    expect(first).toEqual({
      fingerprint: plain.fingerprint,
      message: `signed in to 127.0.0.1:${plain.port} as reports and wrote a test file in /tested; its host key ${plain.fingerprint} is recorded now`,
    });
    const again = await createSftpDelivery().test(
      settingsFor(plain, { remoteDirectory: "tested", hostKeyFingerprint: plain.fingerprint }),
      { password: PASSWORD },
    );
    expect(again).toContain(`its host key ${plain.fingerprint} matches the recorded one`);
    expect(remoteFiles(plain, "tested")).toEqual([]);
  });

  it("stops mid-upload when cancelled, with nothing under the real names", async () => {
    const release = plain.holdWrites();
    const aborts = new AbortController();
    try {
      const delivery = deliverBySftp(
        settingsFor(plain, { remoteDirectory: "cancelled" }),
        { password: PASSWORD },
        made.files,
        { ...context, signal: aborts.signal },
      );
      delivery.catch(() => undefined);
      await waitFor(() => plain.operations.some((op) => op.startsWith("OPEN /cancelled/")));
      aborts.abort();
      await expect(delivery).rejects.toThrow("the delivery was cancelled");
    } finally {
      release();
    }
    // the hidden temp file may stay (the connection is gone); a real name never appears
    expect(remoteFiles(plain, "cancelled").filter((name) => !name.startsWith("."))).toEqual([]);
  });

  it("stops when cancelled", async () => {
    const aborts = new AbortController();
    aborts.abort();
    await expect(
      deliverBySftp(settingsFor(plain), { password: PASSWORD }, made.files, {
        ...context,
        signal: aborts.signal,
      }),
    ).rejects.toThrow("the delivery was cancelled");
  });
});
