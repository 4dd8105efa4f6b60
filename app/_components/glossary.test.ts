import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GLOSSARY, isGlossaryTerm } from "./glossary";

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Every page and component source under app/, by its path. */
function appSources(): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.tsx$/.test(entry.name)) sources.set(full, fs.readFileSync(full, "utf8"));
    }
  };
  walk(APP_DIR);
  return sources;
}

describe("glossary", () => {
  it("explains every term in a sentence or two", () => {
    const problems = Object.entries(GLOSSARY).flatMap(([term, { title, text }]) => [
      ...(title.trim() === "" ? [`${term}: no title`] : []),
      ...(text.trim() === "" ? [`${term}: no text`] : []),
      // a hint under a field, not an essay
      ...(text.length > 320 ? [`${term}: ${text.length} characters`] : []),
    ]);
    expect(problems).toEqual([]);
  });

  it("has the terms of art the pages use", () => {
    for (const term of [
      "format_rows",
      "jitter",
      "misfire",
      "lease",
      "overlap",
      "max_attempts",
      "concurrency",
      "retention",
      "scope",
      "retryable",
      "pipeline",
      "destination",
      "transform",
    ])
      expect(isGlossaryTerm(term), term).toBe(true);
  });

  it("knows every term a page names, and every term is used by a page", () => {
    const used = new Set<string>();
    for (const source of appSources().values()) {
      // <Term name="jitter">, <HelpText term="misfire" …>
      for (const match of source.matchAll(/<(?:Term|HelpText)\b[^>]*?\b(?:name|term)="([^"]+)"/g))
        used.add(match[1]!);
      // term={"x"}, or term={cond ? "x" : undefined}: the term is the string after the "?"
      for (const match of source.matchAll(/\bterm=\{(?:[^}?]*\?\s*)?"([^"]+)"/g))
        used.add(match[1]!);
    }
    expect([...used].filter((term) => !isGlossaryTerm(term))).toEqual([]);
    const sources = [...appSources().values()].join("\n");
    const unused = Object.keys(GLOSSARY).filter((term) => !sources.includes(`"${term}"`));
    expect(unused).toEqual([]);
    // the scan itself finds something: an empty set would pass the check above for nothing
    expect(used.size).toBeGreaterThan(5);
  });
});
