import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "../types";
import { secretHeaderValue, ZHeaderName, ZHeaders } from "../http-header";

// What a CSV-or-JSON-at-a-URL connector and its reports are made of: the server validates with
// these and the browser's forms are generated from them, so this file must stay free of
// server-only imports.

const authBy = (method: string) => ({ showIf: { field: "authMethod", values: [method] } });

const ZFields = z.object({
  authMethod: z
    .enum(["none", "basic", "bearer", "header"])
    .default("none")
    .meta({
      title: "Authentication",
      options: {
        none: "None",
        basic: "Basic (user and password)",
        bearer: "Bearer token",
        header: "A secret header",
      },
    }),
  username: z
    .string()
    .default("")
    .meta({ title: "User", ...authBy("basic") }),
  password: z
    .string()
    .optional()
    .meta({ title: "Password", ...authBy("basic") }),
  token: secretHeaderValue("Token").meta(authBy("bearer")),
  /** for "header": the name of the header that carries the secret, e.g. X-Api-Key */
  headerName: ZHeaderName.meta({
    title: "Header name",
    placeholder: "X-Api-Key",
    ...authBy("header"),
  }),
  headerValue: secretHeaderValue("Header value").meta(authBy("header")),
  /** extra headers that are not secret */
  headers: ZHeaders.meta({
    title: "Other headers (JSON object, not secret)",
    placeholder: '{"Accept": "text/csv"}',
  }),
  /** fetched by "Test connection"; the base URL when empty */
  testUrl: z.string().default("").meta({
    title: "URL to fetch for “Test connection”",
    placeholder: "defaults to the address above",
    isCredentialAddress: true,
  }),
});
const SECRETS = { password: true, token: true, headerValue: true } as const;
export const ZHttpFileSettings = ZFields.omit(SECRETS);
export const ZHttpFileSecrets = ZFields.pick(SECRETS);

/** How an API splits its answer into pages; "none" is one request, as before pages existed. */
export const PAGINATION_STYLES = ["none", "page", "offset", "cursor", "link"] as const;
export type TPaginationStyle = (typeof PAGINATION_STYLES)[number];
/** The most pages one report may ask for, whatever its own limit says. */
export const MAX_PAGES_LIMIT = 10_000;

const pagedBy = (...styles: TPaginationStyle[]) => ({
  showIf: { field: "pagination", values: styles },
});
const PAGED = ["page", "offset", "cursor", "link"] as const;
/** A query-string parameter's name, as the API's documentation spells it. */
const paramName = (title: string, fallback: string) =>
  z
    .string()
    .trim()
    .max(100, `The ${title.toLowerCase()} is a parameter name: 100 characters at most.`)
    .default(fallback);

export const ZHttpFileQuery = z
  .object({
    /** absolute, or relative to the connector's base URL */
    url: z
      .string()
      .trim()
      .min(1, "a URL is required")
      .meta({ title: "URL", placeholder: "https://example.com/exports/sales.csv" }),
    format: z
      .enum(["csv", "json"])
      .default("csv")
      .meta({ title: "Format", options: { csv: "CSV", json: "JSON" } }),
    method: z
      .enum(["GET", "POST"])
      .default("GET")
      .meta({ title: "Method", options: { GET: "GET", POST: "POST with a JSON body" } }),
    /** JSON body for POST */
    payload: z
      .unknown()
      .optional()
      .meta({ title: "Body (JSON)", showIf: { field: "method", values: ["POST"] } }),
    /**
     * Where the rows are in a JSON answer ("data.items"); "" when the answer is the list itself.
     * With pages, or when set, the rows are flattened into one CSV; without either a JSON answer
     * is kept as it came.
     */
    rowsPath: z
      .string()
      .trim()
      .max(300)
      .default("")
      .meta({
        title: "Rows path",
        placeholder: "data.items",
        description:
          "Where the list of rows is in the JSON answer, as a dotted path. Empty: the answer is the list itself. With pages, or with a path here, the rows become one CSV file and nested fields become columns such as customer.address.city; otherwise the JSON is kept as it came.",
        showIf: { field: "format", values: ["json"] },
      }),
    pagination: z
      .enum(PAGINATION_STYLES)
      .default("none")
      .meta({
        title: "Pages",
        description:
          "How the API splits its answer into pages. DataHaul asks for page after page until the last one and keeps all rows in one CSV file.",
        options: {
          none: "None: one request",
          page: "Page number and page size",
          offset: "Offset and limit",
          cursor: "A cursor from each answer (JSON)",
          link: "The next page's Link header (RFC 8288)",
        },
      }),
    pageParam: paramName("Page number parameter", "page").meta({
      title: "Page number parameter",
      placeholder: "page",
      ...pagedBy("page"),
    }),
    firstPage: z
      .number()
      .int("The first page number is 0 or 1.")
      .min(0, "The first page number is 0 or 1.")
      .max(1, "The first page number is 0 or 1.")
      .default(1)
      .meta({
        title: "First page number",
        description: "1 for most APIs; 0 for those that count pages from zero.",
        ...pagedBy("page"),
      }),
    offsetParam: paramName("Offset parameter", "offset").meta({
      title: "Offset parameter",
      placeholder: "offset",
      description: "Set to the number of rows already fetched: 0, then 100, 200, …",
      ...pagedBy("offset"),
    }),
    sizeParam: paramName("Page size parameter", "").meta({
      title: "Page size parameter",
      placeholder: "per_page, page_size or limit",
      description:
        "The parameter that sets how many rows a page holds. Needed for page numbers and offsets; with a cursor, leave it empty to let the API choose.",
      ...pagedBy("page", "offset", "cursor"),
    }),
    pageSize: z
      .number()
      .int("The page size is a whole number of rows.")
      .min(1, "The page size is at least 1 row.")
      .max(10_000, "The page size is 10,000 rows at most.")
      .default(100)
      .meta({
        title: "Page size",
        description:
          "Rows asked for per page, no more than the API allows: a page with fewer rows is taken as the last one.",
        ...pagedBy("page", "offset", "cursor"),
      }),
    cursorPath: z
      .string()
      .trim()
      .max(300)
      .default("")
      .meta({
        title: "Next cursor field",
        placeholder: "meta.next_cursor",
        description:
          "Where each JSON answer gives the next page's cursor, as a dotted path. The pages end when it is missing, null or empty.",
        ...pagedBy("cursor"),
      }),
    cursorParam: paramName("Cursor parameter", "cursor").meta({
      title: "Cursor parameter",
      placeholder: "cursor",
      description: "The parameter the cursor is sent back in.",
      ...pagedBy("cursor"),
    }),
    maxPages: z
      .number()
      .int("The page limit is a whole number of pages.")
      .min(1, "The page limit is at least 1 page.")
      .max(
        MAX_PAGES_LIMIT,
        `The page limit is ${MAX_PAGES_LIMIT.toLocaleString("en-US")} pages at most.`,
      )
      .default(100)
      .meta({
        title: "Page limit",
        description:
          "The most pages one run fetches. When the API has more, the report stops there and is marked as cut short.",
        ...pagedBy(...PAGED),
      }),
    requestsPerSecond: z
      .number()
      .positive("The rate limit is more than 0 requests per second.")
      .max(100, "The rate limit is 100 requests per second at most.")
      .optional()
      .meta({
        title: "Rate limit (requests per second)",
        placeholder: "no limit",
        description:
          "Spaces the page requests evenly: 2 sends one every half second, 0.5 one every 2 seconds. Empty: each page is asked for as soon as the last one has come.",
        ...pagedBy(...PAGED),
      }),
  })
  .superRefine((query, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    if (query.pagination === "none") return;
    // pages are safe GETs: repeating one the server rate-limited is harmless, a POST may not be
    if (query.method !== "GET")
      problem("method", "Pages are fetched with GET: choose GET, or no pages.");
    if (query.pagination === "page" && !query.pageParam)
      problem("pageParam", "Name the parameter that carries the page number.");
    if (query.pagination === "offset" && !query.offsetParam)
      problem("offsetParam", "Name the parameter that carries the offset.");
    if ((query.pagination === "page" || query.pagination === "offset") && !query.sizeParam)
      problem(
        "sizeParam",
        "Name the parameter that sets the page size (per_page, limit, …): a page with fewer rows than asked for is how the last one is told.",
      );
    if (query.pagination === "cursor") {
      if (query.format !== "json")
        problem(
          "pagination",
          "A cursor is read from a JSON answer: choose the JSON format, or another kind of pages.",
        );
      if (!query.cursorPath)
        problem("cursorPath", "Give the field of the answer that holds the next cursor.");
      if (!query.cursorParam)
        problem("cursorParam", "Name the parameter the cursor is sent back in.");
    }
  });

/** Whether a query is answered by the page reader: pages, or JSON rows to flatten into a CSV. */
export function isPagedQuery(query: z.output<typeof ZHttpFileQuery>): boolean {
  return query.pagination !== "none" || (query.format === "json" && query.rowsPath !== "");
}

export const httpFileSchemas = {
  kind: "http",
  label: "CSV or JSON at a URL",
  addressHint: "optional: a prefix for relative report URLs",
  isAddressOptional: true,
  settingsSchema: ZHttpFileSettings,
  secretsSchema: ZHttpFileSecrets,
  formSchema: ZFields,
  querySchema: ZHttpFileQuery,
} satisfies TConnectorSchemas;
