import { describe, expect, it } from "vitest";
import {
  cursorOf,
  describeFields,
  flattenRow,
  parseJsonKeepingNumbers,
  rowsOf,
  valueAt,
} from "./json-rows";

const flat = (row: unknown) => {
  const cells: [string, string][] = [];
  flattenRow(row, (column, text) => cells.push([column, text]));
  return cells;
};

describe("parseJsonKeepingNumbers", () => {
  it("parses JSON as JSON.parse does, a byte-order mark aside", () => {
    expect(parseJsonKeepingNumbers('\uFEFF{"a":[1,-2.5,3e2,true,null,"x"]}')).toEqual({
      value: { a: [1, -2.5, "3e2", true, null, "x"] },
    });
    expect(parseJsonKeepingNumbers("[]")).toEqual({ value: [] });
  });

  it("keeps a number's own text where a JavaScript number would change it", () => {
    const parsed = parseJsonKeepingNumbers(
      '{"id":12345678901234567890,"small":9007199254740993,"price":1.10,"ok":42,"neg":-0}',
    );
    expect(parsed).toEqual({
      value: {
        id: "12345678901234567890",
        small: "9007199254740993",
        price: "1.10",
        ok: 42,
        neg: "-0",
      },
    });
  });

  it("leaves digits inside strings alone, escaped quotes included", () => {
    expect(parseJsonKeepingNumbers('{"s":"a\\"12345678901234567890\\\\","n":1}')).toEqual({
      value: { s: 'a"12345678901234567890\\', n: 1 },
    });
  });

  it("says undefined for what is not JSON", () => {
    for (const text of ["", "<html>", "{", '{"a":01}', "[1,]", "nope", '"unterminated'])
      expect(parseJsonKeepingNumbers(text)).toBeUndefined();
  });
});

describe("valueAt", () => {
  const doc = { data: { items: [{ a: 1 }], "": 3 }, list: [{ x: "y" }], n: null };
  it("follows a dotted path through objects and list positions", () => {
    expect(valueAt(doc, "")).toEqual({ found: true, value: doc });
    expect(valueAt(doc, "data.items")).toEqual({ found: true, value: [{ a: 1 }] });
    expect(valueAt(doc, "list.0.x")).toEqual({ found: true, value: "y" });
    expect(valueAt(doc, "n")).toEqual({ found: true, value: null });
    expect(valueAt(doc, "data.rows")).toEqual({ found: false });
    expect(valueAt(doc, "list.1")).toEqual({ found: false });
    expect(valueAt(doc, "n.x")).toEqual({ found: false });
    // inherited properties are not fields of the answer
    expect(valueAt(doc, "data.toString")).toEqual({ found: false });
    expect(valueAt({}, "__proto__")).toEqual({ found: false });
  });
});

describe("rowsOf", () => {
  it("returns the list at the rows path, or the answer when the path is empty", () => {
    expect(rowsOf({ data: { items: [1, 2] } }, "data.items", 1)).toEqual([1, 2]);
    expect(rowsOf([{ a: 1 }], "", 1)).toEqual([{ a: 1 }]);
    expect(rowsOf({ data: { items: [] } }, "data.items", 2)).toEqual([]);
  });

  it("says which path is not a list, on which page, and what the answer has instead", () => {
    expect(() => rowsOf({ data: { rows: [] }, meta: { total: 3 } }, "data.items", 3)).toThrow(
      "`data.items` is not a list in the answer of page 3; the answer has: data.rows, meta",
    );
    expect(() => rowsOf({ data: { items: { a: 1 } } }, "data.items", 1)).toThrow(
      "`data.items` is not a list in the answer of page 1 (it is an object); the answer has: data.items",
    );
    expect(() => rowsOf({ data: "x", meta: {} }, "data.items", 2)).toThrow(
      "`data.items` is not a list in the answer of page 2; the answer has: data, meta",
    );
    expect(() => rowsOf([1], "data", 1)).toThrow(
      "`data` is not a list in the answer of page 1; the answer is a list",
    );
    expect(() => rowsOf({ results: [], count: 0 }, "", 1)).toThrow(
      "the answer of page 1 is not a list but an object; set “Rows path” to where its rows are (the answer has: results, count)",
    );
    expect(() => rowsOf("text", "", 1)).toThrow(/not a list but a string/);
  });

  it("lists at most a dozen fields", () => {
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, i]));
    expect(() => rowsOf(wide, "rows", 1)).toThrow(/f11, …$/);
  });
});

describe("cursorOf", () => {
  it("reads a text or number cursor; missing, null or empty is the end", () => {
    expect(cursorOf({ meta: { next: "abc" } }, "meta.next", 1)).toBe("abc");
    expect(cursorOf({ meta: { next: 42 } }, "meta.next", 2)).toBe("42");
    expect(cursorOf({ meta: { next: null } }, "meta.next", 1)).toBeNull();
    expect(cursorOf({ meta: { next: "" } }, "meta.next", 3)).toBeNull();
    expect(cursorOf({ meta: {} }, "meta.next", 2)).toBeNull();
  });

  it("a path missing on the first page is a mistake, said with what the answer has", () => {
    expect(() => cursorOf({ data: [], meta: { next_cursor: "x" } }, "meta.next", 1)).toThrow(
      "the next cursor `meta.next` is not in the answer of page 1; the answer has: data, meta.next_cursor",
    );
    expect(() => cursorOf({ meta: { next: { id: 1 } } }, "meta.next", 2)).toThrow(
      "the next cursor `meta.next` in the answer of page 2 is an object, not a text or a number",
    );
  });
});

describe("flattenRow", () => {
  it("opens nested objects into dotted columns, in the row's order", () => {
    expect(
      flat({
        id: 1,
        customer: { name: "Ann", address: { city: "Zürich", zip: "8001" } },
        total: 9.5,
      }),
    ).toEqual([
      ["id", "1"],
      ["customer.name", "Ann"],
      ["customer.address.city", "Zürich"],
      ["customer.address.zip", "8001"],
      ["total", "9.5"],
    ]);
  });

  it("writes lists as JSON text, null as empty, booleans as true/false; an empty object adds nothing", () => {
    expect(
      flat({ tags: ["a", { b: 1 }], none: null, yes: true, no: false, empty: {}, text: 'a,"b"' }),
    ).toEqual([
      ["tags", '["a",{"b":1}]'],
      ["none", ""],
      ["yes", "true"],
      ["no", "false"],
      ["text", 'a,"b"'],
    ]);
  });

  it("a row that is not an object is one cell named value", () => {
    expect(flat("x")).toEqual([["value", "x"]]);
    expect(flat(3)).toEqual([["value", "3"]]);
    expect(flat(null)).toEqual([["value", ""]]);
    expect(flat([1, 2])).toEqual([["value", "[1,2]"]]);
  });

  it("keeps __proto__ as an ordinary column name", () => {
    const row = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
    expect(flat(row)).toEqual([
      ["__proto__.x", "1"],
      ["a", "2"],
    ]);
  });
});

describe("describeFields", () => {
  it("opens the objects on the way to the path", () => {
    expect(describeFields({ a: { b: { c: 1, d: 2 }, e: 3 }, f: 4 }, "a.b.x")).toBe(
      "the answer has: a.b.c, a.b.d, a.e, f",
    );
    expect(describeFields({}, "a")).toBe("the answer is an empty object");
    expect(describeFields(null, "a")).toBe("the answer is null");
  });
});
