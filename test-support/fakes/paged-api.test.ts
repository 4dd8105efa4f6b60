// The fake paged API holds to what it stands for: real APIs refuse these requests, so it does too,
// and its pages add up to the dataset in every style.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_PAGE_SIZE,
  PAGED_API_COLUMNS,
  PAGED_API_ROWS,
  pagedApiCells,
  startFakePagedApi,
  type FakePagedApi,
} from "./paged-api";

const TOKEN = "s3cret-token";
let api: FakePagedApi;
const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  api = await startFakePagedApi({ bearerToken: TOKEN, rateLimitedPage: 1 });
});
afterAll(() => api.close());

const get = (path: string, headers: Record<string, string> = auth, method = "GET") =>
  fetch(`${api.url}${path}`, { headers, method });

type TItems = { data: { items: { id: number }[] }; meta: Record<string, unknown> };

describe("fake paged API", () => {
  it("refuses a missing or wrong token with 401 and a Bearer challenge", async () => {
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: "Bearer nope" },
      { authorization: `Basic ${TOKEN}` },
    ]) {
      const res = await get("/v1/items", headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  it("refuses page sizes and pages that are not whole numbers in range, and unknown cursors", async () => {
    for (const path of [
      "/v1/items?per_page=abc",
      "/v1/items?per_page=2.5",
      `/v1/items?per_page=${MAX_PAGE_SIZE + 1}`,
      "/v1/items?per_page=0",
      "/v1/items?page=0",
      "/v1/items?page=-1",
      "/v0/items?size=x",
      "/v1/offset/items?offset=-5",
      "/v1/offset/items?limit=ten",
      "/v1/cursor/items?cursor=not-a-cursor",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/must be|invalid/);
    }
    expect((await get("/v1/items", auth, "POST")).status).toBe(405);
    expect((await get("/v1/nothing")).status).toBe(404);
  });

  it("answers the chosen page 429 with Retry-After: 1 once per endpoint, and counts every request", async () => {
    api.reset();
    const first = await get("/v1/items?page=2&per_page=10");
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("1");
    expect((await get("/v1/items?page=2&per_page=10")).status).toBe(200);
    expect((await get("/v1/offset/items?offset=10&limit=10")).status).toBe(429);
    expect(api.pageHits("/v1/items", 1)).toBe(2);
    expect(api.requests("/v1/items").map((r) => r.status)).toEqual([429, 200]);
  });

  it("serves the whole dataset in every style", async () => {
    api.reset();
    const ids = async (first: string, next: (body: TItems, res: Response) => string | null) => {
      const seen: number[] = [];
      for (let path: string | null = first; path;) {
        let res = await get(path);
        if (res.status === 429) res = await get(path);
        const body = (await res.json()) as TItems | TItems["data"]["items"];
        const items = Array.isArray(body) ? body : body.data.items;
        seen.push(...items.map((item) => item.id));
        path = next(body as TItems, res);
      }
      return seen;
    };
    const all = Array.from({ length: PAGED_API_ROWS }, (_, i) => i + 1);
    let page = 1;
    expect(
      await ids("/v1/items?page=1&per_page=100", (body) =>
        body.data.items.length === 100 ? `/v1/items?page=${++page}&per_page=100` : null,
      ),
    ).toEqual(all);
    let zero = 0;
    expect(
      await ids("/v0/items?page=0&size=100", (body) =>
        body.data.items.length === 100 ? `/v0/items?page=${++zero}&size=100` : null,
      ),
    ).toEqual(all);
    expect(
      await ids("/v1/offset/items?offset=0&limit=100", (body) =>
        body.data.items.length === 100
          ? `/v1/offset/items?offset=${Number(body.meta.offset) + 100}&limit=100`
          : null,
      ),
    ).toEqual(all);
    expect(
      await ids("/v1/cursor/items?limit=100", (body) =>
        body.meta.next_cursor
          ? `/v1/cursor/items?limit=100&cursor=${String(body.meta.next_cursor)}`
          : null,
      ),
    ).toEqual(all);
    expect(
      await ids("/v1/link/items?per_page=100", (_, res) => {
        // (the title holds a comma: a split on commas would lose this link)
        const next = /<([^>]*)>; title="[^"]*"; rel="next"/.exec(res.headers.get("link") ?? "");
        return next ? next[1]! : null;
      }),
    ).toEqual(all);
  });

  it("sends Link headers with several links, rel lists and quoted commas; none next on the last page", async () => {
    api.reset();
    expect((await get("/v1/link/items?per_page=100&page=2")).status).toBe(429);
    const link = (await get("/v1/link/items?per_page=100&page=2")).headers.get("link")!;
    expect(link).toContain(
      '</v1/link/items?per_page=100&page=3>; title="next, page 3"; rel="next"',
    );
    expect(link).toContain('rel="prev previous"');
    expect(link).toContain('title="page 3, the last; end"');
    const last = (await get("/v1/link/items?per_page=100&page=3")).headers.get("link")!;
    expect(last).not.toContain('rel="next"');
  });

  it("writes big ids as bare numbers and serves CSV pages with the flattened columns", async () => {
    const text = await (await get("/v1/link/items?per_page=1")).text();
    expect(text).toMatch(/^\[\{"id":1,"ref":90071992547401000,/);
    const csv = await (await get("/v1/items.csv?page=1&per_page=2")).text();
    const [header, first] = csv.split("\r\n");
    expect(header).toBe(PAGED_API_COLUMNS.join(","));
    expect(first).toBe(PAGED_API_COLUMNS.map((c) => pagedApiCells(0)[c]).join(","));
  });
});
