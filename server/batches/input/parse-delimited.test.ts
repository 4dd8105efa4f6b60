import { describe, expect, it } from "vitest";
import { parseDelimitedRecords } from "./parse-delimited";

describe("parseDelimitedRecords", () => {
  it("splits tab-separated LF lines into cells", () => {
    expect(parseDelimitedRecords("a\tb\nc\td", "\t")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("treats CRLF and a lone CR as one line break each", () => {
    expect(parseDelimitedRecords("a,b\r\nc,d\re,f", ",")).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e", "f"],
    ]);
  });

  it("breaks rows on every line-ending style even when a file mixes them", () => {
    expect(parseDelimitedRecords('A\tx\r\nB\t"p\nq"\r\nC\ty\nD\tz', "\t")).toEqual([
      ["A", "x"],
      ["B", "p\nq"],
      ["C", "y"],
      ["D", "z"],
    ]);
  });

  it("does not add a record for a trailing line break but keeps blank lines in between", () => {
    expect(parseDelimitedRecords("a;b\n\nc;d\n", ";")).toEqual([["a", "b"], [""], ["c", "d"]]);
  });

  it("keeps a trailing empty cell after a final delimiter", () => {
    expect(parseDelimitedRecords("a,b,", ",")).toEqual([["a", "b", ""]]);
  });

  it("keeps newlines, tabs and doubled quotes inside a quoted cell", () => {
    const text = 'SKU1\t"line one\r\nline\ttwo ""quoted"""\nSKU2\tx';
    expect(parseDelimitedRecords(text, "\t")).toEqual([
      ["SKU1", 'line one\r\nline\ttwo "quoted"'],
      ["SKU2", "x"],
    ]);
  });

  it("opens a quoted cell after spaces that follow the delimiter", () => {
    expect(parseDelimitedRecords('a, "b,c"', ",")).toEqual([["a", "b,c"]]);
  });

  it("reads a cell that starts with a quote but is not a quoted field literally, quotes and all", () => {
    // what Excel and Sheets put on the clipboard for a cell holding "XL"-P9: the text as it is
    expect(parseDelimitedRecords('"XL"-P9\thttp://x/a.jpg', "\t")).toEqual([
      ['"XL"-P9', "http://x/a.jpg"],
    ]);
    expect(parseDelimitedRecords('"ab"cd,e\n"5" screen,f', ",")).toEqual([
      ['"ab"cd', "e"],
      ['"5" screen', "f"],
    ]);
    // the same cell written as a proper quoted field keeps its quotes too
    expect(parseDelimitedRecords('"""XL""-P9"\tb', "\t")).toEqual([['"XL"-P9', "b"]]);
  });

  it("reads a clipboard cell with a line break, quoted with its quotes doubled, as one cell", () => {
    // Excel and Sheets quote a cell that holds a line break (Alt+Enter) and double its quotes
    const text = 'SKU-1\t"http://x/a.jpg\nhttp://x/""b"".jpg"\tnote\r\nSKU-2\thttp://x/c.jpg';
    expect(parseDelimitedRecords(text, "\t")).toEqual([
      ["SKU-1", 'http://x/a.jpg\nhttp://x/"b".jpg', "note"],
      ["SKU-2", "http://x/c.jpg"],
    ]);
  });

  it("allows spaces between a closing quote and the delimiter", () => {
    expect(parseDelimitedRecords('"a,b"  ,c\n"d" \ne', ",")).toEqual([["a,b", "c"], ["d"], ["e"]]);
  });

  it("reads an unclosed quote literally up to the end of its line", () => {
    expect(parseDelimitedRecords('"SKU1,x\nSKU2,y', ",")).toEqual([
      ['"SKU1', "x"],
      ["SKU2", "y"],
    ]);
  });

  it("treats quotes inside an unquoted cell as ordinary characters", () => {
    expect(parseDelimitedRecords('5" screen\tb', "\t")).toEqual([['5" screen', "b"]]);
  });

  it("returns no records for empty text", () => {
    expect(parseDelimitedRecords("", ",")).toEqual([]);
  });
});
