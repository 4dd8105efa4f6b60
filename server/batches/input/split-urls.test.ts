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
});
