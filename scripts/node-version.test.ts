import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));
const ourFloor = /^>=\s*([\d.]+)$/.exec(
  readJson(path.join(root, "package.json")).engines.node,
)![1]!;

const toParts = (version: string) => version.split(".").map(Number);
function compare(a: string, b: string): number {
  const [x, y] = [toParts(a), toParts(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Whether every Node.js from `floor` on satisfies `range` ("a || b" of ">=x", "^x", "x"). */
function isFloorEnoughFor(range: string, floor: string): boolean {
  return range.split("||").some((alternative) => {
    const text = alternative.trim();
    const atLeast = /^>=\s*v?([\d.]+)$/.exec(text);
    if (atLeast) return compare(floor, atLeast[1]!) >= 0;
    // "^20.0.0 || >=22": a caret on our major line holds for every later minor of it
    const caret = /^\^v?([\d.]+)$/.exec(text);
    if (caret) return toParts(caret[1]!)[0] === toParts(floor)[0] && compare(floor, caret[1]!) >= 0;
    return false;
  });
}

function runCheck(version: string) {
  return spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import("./scripts/node-version.mjs").then((m) => { m.assertNodeVersion(${JSON.stringify(version)}); console.log("accepted"); })`,
    ],
    { cwd: root, encoding: "utf8" },
  );
}

describe("the Node.js floor", () => {
  it("is high enough for every direct dependency that names one", () => {
    const { dependencies, devDependencies } = readJson(path.join(root, "package.json"));
    const tooLow: string[] = [];
    for (const name of Object.keys({ ...dependencies, ...devDependencies })) {
      const range: string | undefined = readJson(
        path.join(root, "node_modules", name, "package.json"),
      ).engines?.node;
      if (range && !isFloorEnoughFor(range, ourFloor)) tooLow.push(`${name} needs ${range}`);
    }
    expect(tooLow, `package.json says node >=${ourFloor}`).toEqual([]);
  });

  it("is checked at start with a plain sentence", () => {
    const old = runCheck("20.9.0");
    expect(old.status).toBe(1);
    expect(old.stderr).toContain(
      `DataHaul needs Node.js ${ourFloor} or later; this is Node.js 20.9.0.`,
    );
    expect(runCheck(ourFloor).stdout).toContain("accepted");
    expect(runCheck("22.1.0").stdout).toContain("accepted");
  });
});
