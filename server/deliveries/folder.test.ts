// Folder deliveries on the real file system, in a temp folder per test: atomic writes, the root
// that cannot be left (by .., an absolute path or a link), and nothing half-written on failure.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeDeliveryFiles, noise } from "@/test-support/delivery-files";
import { createFolderDelivery } from "./folder";
import { DeliveryError } from "./types";

let base: string;
let root: string;
let outside: string;
const cleanups: Array<() => void> = [];

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-folder-delivery-"));
  root = path.join(base, "share");
  outside = path.join(base, "elsewhere");
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  fs.rmSync(base, { recursive: true, force: true });
});

function files(specs: Parameters<typeof makeDeliveryFiles>[0]) {
  const made = makeDeliveryFiles(specs);
  cleanups.push(made.remove);
  return made.files;
}

/** Every entry under a folder, hidden ones included, as paths relative to it. */
const listAll = (dir: string) =>
  (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();

const context = { summary: { run: { id: "run-1234" } }, date: new Date("2026-11-23T09:00:00Z") };

describe("folder delivery", () => {
  it("writes each file under the root and sub-folder with the template's name, bytes intact", async () => {
    const delivery = createFolderDelivery({ root });
    const big = noise(3 * 1024 * 1024, 7);
    const result = await delivery.deliver(
      { subPath: "reports/daily", fileNameTemplate: "{report}_{date:yyyyMMdd}.csv" },
      {},
      files([
        { name: "Sales_x.csv", report: "Sales", content: "a,b\r\n1,2\r\n" },
        { name: "Big.csv", content: big },
      ]),
      context,
    );
    const folder = path.join(root, "reports", "daily");
    expect(listAll(folder)).toEqual(["Big_20261123.csv", "Sales_20261123.csv"]);
    expect(fs.readFileSync(path.join(folder, "Sales_20261123.csv"), "utf8")).toBe("a,b\r\n1,2\r\n");
    expect(fs.readFileSync(path.join(folder, "Big_20261123.csv")).equals(big)).toBe(true);
    expect(result.message).toBe(`2 files written to ${folder}`);
    expect(result.files).toEqual([
      {
        name: "Sales_x.csv",
        deliveredAs: "Sales_20261123.csv",
        bytes: 10,
        location: path.join(folder, "Sales_20261123.csv"),
      },
      {
        name: "Big.csv",
        deliveredAs: "Big_20261123.csv",
        bytes: big.length,
        location: path.join(folder, "Big_20261123.csv"),
      },
    ]);
  });

  it("replaces an older file of the same name whole, leaving no temp file", async () => {
    const delivery = createFolderDelivery({ root });
    fs.writeFileSync(path.join(root, "Sales.csv"), "old contents that are longer than the new\n");
    await delivery.deliver({}, {}, files([{ name: "Sales.csv", content: "new\n" }]), context);
    expect(listAll(root)).toEqual(["Sales.csv"]);
    expect(fs.readFileSync(path.join(root, "Sales.csv"), "utf8")).toBe("new\n");
  });

  it("refuses a sub-folder with .., an absolute path, or a link that leads out of the root", async () => {
    const delivery = createFolderDelivery({ root });
    const some = files([{ name: "a.csv", content: "x" }]);
    await expect(delivery.deliver({ subPath: "../elsewhere" }, {}, some, context)).rejects.toThrow(
      `the folder ${path.join(base, "elsewhere")} is outside the delivery root ${root}`,
    );
    await expect(delivery.deliver({ subPath: "a/../../x" }, {}, some, context)).rejects.toThrow(
      `is outside the delivery root ${root}`,
    );
    await expect(delivery.deliver({ subPath: outside }, {}, some, context)).rejects.toThrow(
      `the folder ${outside} is an absolute path: give a folder under the delivery root ${root}`,
    );
    fs.symlinkSync(outside, path.join(root, "escape"));
    await expect(delivery.deliver({ subPath: "escape/deeper" }, {}, some, context)).rejects.toThrow(
      `the folder ${path.join(root, "escape")} is outside the delivery root ${root} (it leads to ${fs.realpathSync(outside)})`,
    );
    // nothing was made or written where the link points
    expect(listAll(outside)).toEqual([]);
  });

  it("follows a link that stays inside the root, and a root that is itself a link", async () => {
    fs.mkdirSync(path.join(root, "real"));
    fs.symlinkSync(path.join(root, "real"), path.join(root, "alias"));
    const linkedRoot = path.join(base, "root-link");
    fs.symlinkSync(root, linkedRoot);
    const delivery = createFolderDelivery({ root: linkedRoot });
    const result = await delivery.deliver(
      { subPath: "alias" },
      {},
      files([{ name: "a.csv", content: "x" }]),
      context,
    );
    expect(fs.readFileSync(path.join(root, "real", "a.csv"), "utf8")).toBe("x");
    expect(result.files[0]!.location).toBe(path.join(linkedRoot, "alias", "a.csv"));
  });

  it("says plainly when folder deliveries are off or the root is missing", async () => {
    const some = files([{ name: "a.csv", content: "x" }]);
    await expect(
      createFolderDelivery({ root: undefined }).deliver({}, {}, some, context),
    ).rejects.toThrow("folder deliveries are switched off: set DELIVERY_FOLDER_ROOT");
    await expect(
      createFolderDelivery({ root: path.join(base, "gone") }).deliver({}, {}, some, context),
    ).rejects.toThrow(`the delivery root ${path.join(base, "gone")} does not exist`);
  });

  it("leaves nothing behind for a file that is not the one the run produced", async () => {
    const delivery = createFolderDelivery({ root });
    const [changed] = files([{ name: "Sales.csv", content: "1,2,3\n" }]);
    fs.writeFileSync(changed!.path, "9,9,9\n");
    const failure = await delivery
      .deliver({}, {}, [changed!], context)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeliveryError);
    expect((failure as Error).message).toBe(
      "the file Sales.csv is not the one the run produced (6 B read, 6 B recorded, different contents); it was not delivered",
    );
    expect(listAll(root)).toEqual([]);
  });

  it("reports the files delivered before one that failed, and leaves no temp file", async () => {
    const delivery = createFolderDelivery({ root });
    fs.mkdirSync(path.join(root, "Costs.csv"));
    const failure = (await delivery
      .deliver(
        {},
        {},
        files([
          { name: "Sales.csv", content: "s" },
          { name: "Costs.csv", content: "c" },
        ]),
        context,
      )
      .catch((error: unknown) => error)) as DeliveryError;
    expect(failure.message).toBe(
      `${path.join(root, "Costs.csv")} is a folder: a file of that name cannot replace it (1 of 2 files had been delivered before it)`,
    );
    expect(failure.delivered.map((file) => file.deliveredAs)).toEqual(["Sales.csv"]);
    expect(listAll(root)).toEqual(["Costs.csv", "Sales.csv"]);
  });

  it("says a missing source file is missing on our side", async () => {
    const delivery = createFolderDelivery({ root });
    const [file] = files([{ name: "a.csv", content: "x" }]);
    fs.rmSync(file!.path);
    await expect(delivery.deliver({}, {}, [file!], context)).rejects.toThrow(
      "the file a.csv to deliver is missing on our side",
    );
    expect(listAll(root)).toEqual([]);
  });

  it("stops at once when cancelled", async () => {
    const delivery = createFolderDelivery({ root });
    const aborts = new AbortController();
    aborts.abort();
    await expect(
      delivery.deliver({}, {}, files([{ name: "a.csv", content: "x" }]), {
        ...context,
        signal: aborts.signal,
      }),
    ).rejects.toThrow("the delivery was cancelled");
    expect(listAll(root)).toEqual([]);
  });

  it("tests a folder by writing and removing a file there", async () => {
    const delivery = createFolderDelivery({ root });
    expect(await delivery.test({ subPath: "checked" }, {})).toBe(
      `DataHaul can write to ${path.join(root, "checked")} (a test file was written and removed)`,
    );
    expect(listAll(root)).toEqual(["checked"]);
    await expect(delivery.test({ fileNameTemplate: "{nope}" }, {})).rejects.toThrow(
      "The folder delivery's settings need a fix: fileNameTemplate: Unknown placeholder {nope}",
    );
  });
});
