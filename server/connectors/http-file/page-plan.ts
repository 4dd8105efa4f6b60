import { findLink } from "./link-header";
import type { TPaginationStyle } from "./schemas";

/** What a report says about its pages: the query's fields that plan the next request. */
export type TPagePlan = {
  style: TPaginationStyle;
  pageParam: string;
  firstPage: number;
  offsetParam: string;
  sizeParam: string;
  pageSize: number;
  cursorParam: string;
};

/** What one answer told about the pages after it. */
export type TPageSeen = {
  /** the URL the page was asked for */
  url: string;
  /** 0 for the first page */
  index: number;
  /** rows of this page */
  rows: number;
  /** rows of this page and every one before it */
  rowsSoFar: number;
  /** the answer's Link header, as the engine joined it */
  link?: string;
  /** for cursor pages: the answer's next cursor; null when it has none (missing, null or "") */
  cursor?: string | null;
  /** the cursor this page was asked for with; null for the first page */
  sentCursor?: string | null;
};

export type TNextPage =
  | { url: string }
  /** no next page: the API said this was the last one */
  | { url: null }
  /** the API points back at the page it just sent: following it would never end */
  | { url: null; loop: string };

/**
 * The URL with these query parameters set: an existing parameter of the same name is replaced,
 * every other byte of the query string stays as written (URLSearchParams would re-encode all of
 * it, turning %20 into + and %2C into a comma, which a strict or signed API may refuse).
 */
export function withQueryParams(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  const names = new Set(Object.keys(params).filter(Boolean));
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, " "));
    } catch {
      return part;
    }
  };
  const kept = parsed.search
    .replace(/^\?/, "")
    .split("&")
    .filter((pair) => pair !== "" && !names.has(decode(pair.split("=", 1)[0]!)));
  for (const name of names)
    kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(params[name]!)}`);
  parsed.search = kept.length > 0 ? `?${kept.join("&")}` : "";
  return parsed.href;
}

/** The size parameter, when the plan sends one. */
function sizeOf(plan: TPagePlan): Record<string, string> {
  return plan.sizeParam ? { [plan.sizeParam]: String(plan.pageSize) } : {};
}

/** The URL of the first page: the report's URL with the first page's parameters. */
export function firstPageUrl(url: string, plan: TPagePlan): string {
  switch (plan.style) {
    case "page":
      return withQueryParams(url, { [plan.pageParam]: String(plan.firstPage), ...sizeOf(plan) });
    case "offset":
      return withQueryParams(url, { [plan.offsetParam]: "0", ...sizeOf(plan) });
    case "cursor":
      return plan.sizeParam ? withQueryParams(url, sizeOf(plan)) : url;
    case "link":
    case "none":
      return url;
  }
}

/**
 * The page after the one just seen, by the plan's style: the next page number or offset while a
 * page is full, the cursor the answer gave, or its Link rel="next" resolved against its URL.
 */
export function nextPage(plan: TPagePlan, seen: TPageSeen): TNextPage {
  switch (plan.style) {
    case "none":
      return { url: null };
    case "page":
    case "offset": {
      // a page with fewer rows than asked for (none at all, say) is the last one
      if (seen.rows === 0 || seen.rows < plan.pageSize) return { url: null };
      const params =
        plan.style === "page"
          ? { [plan.pageParam]: String(plan.firstPage + seen.index + 1) }
          : { [plan.offsetParam]: String(seen.rowsSoFar) };
      return { url: withQueryParams(seen.url, { ...params, ...sizeOf(plan) }) };
    }
    case "cursor": {
      const cursor = seen.cursor;
      if (cursor === null || cursor === undefined || cursor === "") return { url: null };
      if (cursor === seen.sentCursor)
        return { url: null, loop: `the same cursor as the one it was asked for ("${cursor}")` };
      return { url: withQueryParams(seen.url, { [plan.cursorParam]: cursor }) };
    }
    case "link": {
      const next = findLink(seen.link, "next", seen.url);
      if (next === null) return { url: null };
      if (next === new URL(seen.url).href)
        return { url: null, loop: "a Link to itself as the next page" };
      return { url: next };
    }
  }
}
