import { describe, expect, it } from "vitest";
import { formFieldsOf } from "@/server/forms/schema-fields";
import { httpFileConnector } from ".";
import { isPagedQuery, ZHttpFileQuery } from "./schemas";

const problems = (query: Record<string, unknown>) => {
  const parsed = ZHttpFileQuery.safeParse(query);
  return parsed.success
    ? {}
    : Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join("."), issue.message]));
};

describe("the URL report query", () => {
  it("reads a query saved before pages existed as one request, as before", () => {
    const saved = ZHttpFileQuery.parse({ url: "/exports/sales.csv", format: "csv", method: "GET" });
    expect(saved).toMatchObject({ pagination: "none", rowsPath: "", maxPages: 100 });
    expect(saved.requestsPerSecond).toBeUndefined();
    expect(isPagedQuery(saved)).toBe(false);
    expect(isPagedQuery(ZHttpFileQuery.parse({ url: "/x.json", format: "json" }))).toBe(false);
    expect(httpFileConnector.describeQuery(saved)).toBe("/exports/sales.csv");
  });

  it("a JSON answer with a rows path, or any pages, goes through the page reader", () => {
    expect(
      isPagedQuery(ZHttpFileQuery.parse({ url: "/x", format: "json", rowsPath: "data" })),
    ).toBe(true);
    // a rows path left over from the JSON format means nothing to a CSV
    expect(isPagedQuery(ZHttpFileQuery.parse({ url: "/x", format: "csv", rowsPath: "data" }))).toBe(
      false,
    );
    const link = ZHttpFileQuery.parse({ url: "/x", pagination: "link", maxPages: 2500 });
    expect(isPagedQuery(link)).toBe(true);
    expect(httpFileConnector.describeQuery(link)).toBe("/x (pages by Link header, at most 2,500)");
  });

  it("asks for what each style needs, on the field that lacks it", () => {
    expect(problems({ url: "/x", pagination: "page", sizeParam: "per_page" })).toEqual({});
    expect(problems({ url: "/x", pagination: "page" })).toEqual({
      sizeParam: expect.stringContaining("Name the parameter that sets the page size"),
    });
    expect(
      problems({ url: "/x", pagination: "offset", offsetParam: "", sizeParam: "limit" }),
    ).toEqual({ offsetParam: "Name the parameter that carries the offset." });
    expect(problems({ url: "/x", pagination: "cursor", format: "csv" })).toEqual({
      pagination:
        "A cursor is read from a JSON answer: choose the JSON format, or another kind of pages.",
      cursorPath: "Give the field of the answer that holds the next cursor.",
    });
    expect(problems({ url: "/x", pagination: "link", method: "POST" })).toEqual({
      method: "Pages are fetched with GET: choose GET, or no pages.",
    });
    // cursor pages may leave the page size to the API
    expect(
      problems({ url: "/x", format: "json", pagination: "cursor", cursorPath: "meta.next" }),
    ).toEqual({});
  });

  it("bounds the page limit, the page size, the first page and the rate", () => {
    expect(problems({ url: "/x", pagination: "link", maxPages: 10_001 })).toEqual({
      maxPages: "The page limit is 10,000 pages at most.",
    });
    expect(problems({ url: "/x", pagination: "link", maxPages: 0 })).toEqual({
      maxPages: "The page limit is at least 1 page.",
    });
    expect(problems({ url: "/x", firstPage: 2 })).toEqual({
      firstPage: "The first page number is 0 or 1.",
    });
    expect(problems({ url: "/x", requestsPerSecond: 0 })).toEqual({
      requestsPerSecond: "The rate limit is more than 0 requests per second.",
    });
    expect(problems({ url: "/x", requestsPerSecond: 0.5, pageSize: 10_000 })).toEqual({});
  });

  it("gives every new form field a title, help and the style it shows for", () => {
    const fields = formFieldsOf(ZHttpFileQuery);
    expect(fields.map((field) => field.name)).toEqual([
      "url",
      "format",
      "method",
      "payload",
      "rowsPath",
      "pagination",
      "pageParam",
      "firstPage",
      "offsetParam",
      "sizeParam",
      "pageSize",
      "cursorPath",
      "cursorParam",
      "maxPages",
      "requestsPerSecond",
    ]);
    const byName = Object.fromEntries(fields.map((field) => [field.name, field]));
    for (const name of [
      "rowsPath",
      "pagination",
      "firstPage",
      "sizeParam",
      "pageSize",
      "cursorPath",
      "maxPages",
      "requestsPerSecond",
    ]) {
      expect(byName[name]!.label).not.toBe(name);
      expect(byName[name]!.help).toBeTruthy();
    }
    const shownFor = (name: string) => byName[name]!.showIf;
    expect(shownFor("rowsPath")).toEqual({ field: "format", values: ["json"] });
    expect(shownFor("pagination")).toBeUndefined();
    expect(shownFor("pageParam")).toEqual({ field: "pagination", values: ["page"] });
    expect(shownFor("firstPage")).toEqual({ field: "pagination", values: ["page"] });
    expect(shownFor("offsetParam")).toEqual({ field: "pagination", values: ["offset"] });
    expect(shownFor("sizeParam")!.values).toEqual(["page", "offset", "cursor"]);
    expect(shownFor("cursorPath")).toEqual({ field: "pagination", values: ["cursor"] });
    expect(shownFor("maxPages")!.values).toEqual(["page", "offset", "cursor", "link"]);
    expect(shownFor("requestsPerSecond")!.values).toEqual(["page", "offset", "cursor", "link"]);
    expect(byName.pagination).toMatchObject({ type: "select", defaultValue: "none" });
    expect(byName.firstPage).toMatchObject({ type: "number", defaultValue: 1 });
    expect(byName.requestsPerSecond!.type).toBe("number");
  });

  it("a request.json entry becomes a query without pages", () => {
    const query = httpFileConnector.queryFromSeed({
      path: "/exports/a.json",
      url: null,
      payload: {},
    });
    expect(query).toMatchObject({ url: "/exports/a.json", format: "json", pagination: "none" });
  });
});
