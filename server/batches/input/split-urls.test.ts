import { describe, expect, it } from "vitest";
import { splitUrlCell } from "./split-urls";

describe("splitUrlCell", () => {
  it("returns a single URL unchanged", () => {
    expect(splitUrlCell("https://a.example/x.jpg")).toEqual(["https://a.example/x.jpg"]);
  });

  it("splits on spaces, line breaks and pipes", () => {
    expect(
      splitUrlCell(
        "https://a.example/1.jpg https://a.example/2.jpg\nhttps://a.example/3.jpg|https://a.example/4.jpg",
      ),
    ).toEqual([
      "https://a.example/1.jpg",
      "https://a.example/2.jpg",
      "https://a.example/3.jpg",
      "https://a.example/4.jpg",
    ]);
  });

  it("splits on a comma followed by optional spaces and http", () => {
    expect(
      splitUrlCell("https://a.example/1.jpg,https://a.example/2.jpg, HTTP://a.example/3.jpg"),
    ).toEqual(["https://a.example/1.jpg", "https://a.example/2.jpg", "HTTP://a.example/3.jpg"]);
  });

  it("keeps commas inside a URL", () => {
    expect(splitUrlCell("https://a.example/x.jpg?crop=1,2,3")).toEqual([
      "https://a.example/x.jpg?crop=1,2,3",
    ]);
  });

  it("drops a trailing comma", () => {
    expect(splitUrlCell("https://a.example/x.jpg,")).toEqual(["https://a.example/x.jpg"]);
  });

  it("keeps a cell of only separators so it can be reported", () => {
    expect(splitUrlCell("|")).toEqual(["|"]);
  });

  it("keeps a space inside a URL when the next word does not start a URL", () => {
    expect(splitUrlCell("https://cdn.example/Front view.jpg https://cdn.example/back.jpg")).toEqual(
      ["https://cdn.example/Front view.jpg", "https://cdn.example/back.jpg"],
    );
    expect(splitUrlCell("not a url")).toEqual(["not a url"]);
  });

  it("splits before a URL without http, so it is reported instead of swallowed", () => {
    expect(splitUrlCell("https://a.example/1.jpg www.b.example/2.jpg")).toEqual([
      "https://a.example/1.jpg",
      "www.b.example/2.jpg",
    ]);
    expect(splitUrlCell("https://a.example/1.jpg, ftp://b.example/2.jpg")).toEqual([
      "https://a.example/1.jpg",
      "ftp://b.example/2.jpg",
    ]);
  });

  // a tab inside a quoted cell separates too: URL parsers drop tabs silently
  it.each([
    ["a line break", "\r\n"],
    ["a tab", "\t"],
  ])("always splits on %s, keeping text that is not a URL for its own verdict", (_, separator) => {
    expect(splitUrlCell(`https://a.example/1.jpg${separator}front side`)).toEqual([
      "https://a.example/1.jpg",
      "front side",
    ]);
  });

  it("handles several commas and spaces in one run", () => {
    expect(splitUrlCell("https://a.example/1.jpg ,  , https://b.example/2.jpg ,")).toEqual([
      "https://a.example/1.jpg",
      "https://b.example/2.jpg",
    ]);
  });

  it("splits a cell of 200,000 spaces", () => {
    // a backtracking pattern needed minutes for this (the test's time limit stops it)
    const cell = `https://a.example/1.jpg${" ".repeat(100_000)}x${" ".repeat(100_000)}`;
    const urls = splitUrlCell(cell.trim());
    expect(urls).toHaveLength(1);
    expect(urls[0]!.endsWith("x")).toBe(true);
  });
});
