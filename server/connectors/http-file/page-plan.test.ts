import { describe, expect, it } from "vitest";
import { firstPageUrl, nextPage, withQueryParams, type TPagePlan } from "./page-plan";

const plan = (more: Partial<TPagePlan>): TPagePlan => ({
  style: "none",
  pageParam: "page",
  firstPage: 1,
  offsetParam: "offset",
  sizeParam: "per_page",
  pageSize: 50,
  cursorParam: "cursor",
  ...more,
});
const seen = (url: string, more: { index?: number; rows?: number; rowsSoFar?: number } = {}) => ({
  url,
  index: 0,
  rows: 50,
  rowsSoFar: 50,
  ...more,
});

describe("withQueryParams", () => {
  it("replaces a parameter of the same name and leaves every other byte of the query as written", () => {
    expect(
      withQueryParams("https://x.example/a?q=a%20b&filter=x%2Cy&page=9&sig=AB%2F%3D", {
        page: "2",
      }),
    ).toBe("https://x.example/a?q=a%20b&filter=x%2Cy&sig=AB%2F%3D&page=2");
  });

  it("encodes names and values, and removes every earlier copy of a name (also encoded ones)", () => {
    expect(
      withQueryParams("https://x.example/a?page%5Bnumber%5D=1&page[number]=3", {
        "page[number]": "2",
        "page[size]": "a b&c",
      }),
    ).toBe("https://x.example/a?page%5Bnumber%5D=2&page%5Bsize%5D=a%20b%26c");
  });

  it("works on a URL without a query, keeps a fragment, and ignores an empty name", () => {
    expect(withQueryParams("https://x.example/a#top", { page: "1", "": "x" })).toBe(
      "https://x.example/a?page=1#top",
    );
  });
});

describe("firstPageUrl", () => {
  it("page numbers: the first page number and the size", () => {
    expect(firstPageUrl("https://x.example/items?status=open", plan({ style: "page" }))).toBe(
      "https://x.example/items?status=open&page=1&per_page=50",
    );
    expect(
      firstPageUrl(
        "https://x.example/items",
        plan({ style: "page", firstPage: 0, sizeParam: "size", pageSize: 20 }),
      ),
    ).toBe("https://x.example/items?page=0&size=20");
  });

  it("offsets start at 0; a cursor's first request has no cursor; Link pages start at the URL", () => {
    expect(
      firstPageUrl("https://x.example/items", plan({ style: "offset", sizeParam: "limit" })),
    ).toBe("https://x.example/items?offset=0&limit=50");
    expect(
      firstPageUrl("https://x.example/items?cursor=old", plan({ style: "cursor", sizeParam: "" })),
    ).toBe("https://x.example/items?cursor=old");
    expect(
      firstPageUrl("https://x.example/items", plan({ style: "cursor", sizeParam: "limit" })),
    ).toBe("https://x.example/items?limit=50");
    expect(firstPageUrl("https://x.example/items?a=1", plan({ style: "link" }))).toBe(
      "https://x.example/items?a=1",
    );
  });
});

describe("nextPage", () => {
  it("page numbers: the next number while pages are full; a short or empty page is the last", () => {
    const pages = plan({ style: "page" });
    const first = "https://x.example/items?page=1&per_page=50";
    expect(nextPage(pages, seen(first))).toEqual({
      url: "https://x.example/items?page=2&per_page=50",
    });
    expect(nextPage(pages, seen(first, { index: 4 })).url).toBe(
      "https://x.example/items?page=6&per_page=50",
    );
    expect(nextPage(plan({ style: "page", firstPage: 0 }), seen(first, { index: 0 })).url).toBe(
      "https://x.example/items?page=1&per_page=50",
    );
    expect(nextPage(pages, seen(first, { rows: 49 }))).toEqual({ url: null });
    expect(nextPage(pages, seen(first, { rows: 0 }))).toEqual({ url: null });
  });

  it("offsets: the rows fetched so far", () => {
    const offsets = plan({ style: "offset", sizeParam: "limit" });
    expect(
      nextPage(offsets, seen("https://x.example/items?offset=50&limit=50", { rowsSoFar: 100 })),
    ).toEqual({ url: "https://x.example/items?offset=100&limit=50" });
    expect(
      nextPage(offsets, seen("https://x.example/items?offset=0&limit=50", { rows: 3 })),
    ).toEqual({ url: null });
  });

  it("a cursor: sent back until the answer has none; the same cursor again is a loop", () => {
    const cursors = plan({ style: "cursor", sizeParam: "limit" });
    const url = "https://x.example/items?limit=50";
    expect(nextPage(cursors, { ...seen(url), cursor: "abc+/=", sentCursor: null })).toEqual({
      url: "https://x.example/items?limit=50&cursor=abc%2B%2F%3D",
    });
    const second = "https://x.example/items?limit=50&cursor=abc";
    expect(nextPage(cursors, { ...seen(second), cursor: "def", sentCursor: "abc" }).url).toBe(
      "https://x.example/items?limit=50&cursor=def",
    );
    for (const cursor of [null, undefined, ""])
      expect(nextPage(cursors, { ...seen(url), cursor })).toEqual({ url: null });
    // a short page does not end cursor pages: only the cursor does
    expect(nextPage(cursors, { ...seen(url), rows: 0, cursor: "x" }).url).toContain("cursor=x");
    expect(nextPage(cursors, { ...seen(second), cursor: "abc", sentCursor: "abc" })).toMatchObject({
      url: null,
      loop: expect.stringContaining("same cursor"),
    });
  });

  it("Link: rel=next resolved against the page's URL; none is the end; a link to itself a loop", () => {
    const links = plan({ style: "link" });
    const url = "https://x.example/v1/items?page=1";
    expect(
      nextPage(links, {
        ...seen(url),
        link: '</v1/items?page=2>; rel="next", </v1/items?page=9>; rel="last"',
      }),
    ).toEqual({ url: "https://x.example/v1/items?page=2" });
    expect(nextPage(links, { ...seen(url), link: '<https://cdn.example/p2>; rel="next"' })).toEqual(
      {
        url: "https://cdn.example/p2",
      },
    );
    expect(nextPage(links, { ...seen(url), link: '</v1/items?page=1>; rel="prev"' })).toEqual({
      url: null,
    });
    expect(nextPage(links, seen(url))).toEqual({ url: null });
    expect(nextPage(links, { ...seen(url), link: "<?page=1>; rel=next" })).toMatchObject({
      url: null,
      loop: expect.stringContaining("itself"),
    });
  });

  it("none: never a next page", () => {
    expect(nextPage(plan({ style: "none" }), seen("https://x.example/a"))).toEqual({ url: null });
  });
});
