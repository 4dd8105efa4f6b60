import { z } from "@/server/forms/zod";
import { COLUMN_TYPES } from "./table-types";

// A transform's steps: the server validates with these and the browser's editor builds on them,
// so this file stays free of server-only imports.

const ZColumnName = z.string().trim().min(1, "Name a column.").max(200);
/** a column by its name, or by its position counting from 1 (seed 002's `column`) */
const ZColumnRef = z.union([ZColumnName, z.number().int().min(1).max(10_000)]);

const ZDateOrder = z.enum(["iso", "day-first", "month-first"]);

export const ZSelectStep = z.object({
  kind: z.literal("select"),
  /** the columns kept, in this order, each optionally renamed */
  columns: z
    .array(z.object({ column: ZColumnRef, name: ZColumnName.optional() }))
    .min(1, "Keep at least one column.")
    .max(2000),
});

export const ZRenameStep = z.object({
  kind: z.literal("rename"),
  columns: z
    .array(z.object({ column: ZColumnRef, name: ZColumnName }))
    .min(1)
    .max(2000),
});

export const ZCastStep = z.object({
  kind: z.literal("cast"),
  columns: z
    .array(
      z.object({
        column: ZColumnRef,
        type: z.enum(COLUMN_TYPES),
        /** how text becomes a date: needed when the source's dates could be read either way */
        dateOrder: ZDateOrder.optional(),
      }),
    )
    .min(1)
    .max(2000),
});

export const FILTER_OPERATORS = [
  "equals",
  "not_equals",
  "in",
  "not_in",
  "contains",
  "starts_with",
  "ends_with",
  "regex",
  "greater_than",
  "at_least",
  "less_than",
  "at_most",
  "between",
  "empty",
  "not_empty",
] as const;
export type TFilterOperator = (typeof FILTER_OPERATORS)[number];

const ZFilterValue = z.union([z.string().max(10_000), z.number(), z.boolean()]);

export const ZCondition = z.object({
  column: ZColumnRef,
  operator: z.enum(FILTER_OPERATORS),
  /** equals, contains, starts_with, ends_with, regex, the comparisons */
  value: ZFilterValue.optional(),
  /** in, not_in */
  values: z.array(ZFilterValue).max(10_000).optional(),
  /** between, both ends included */
  min: ZFilterValue.optional(),
  max: ZFilterValue.optional(),
  /** text comparisons ignore case unless this is set */
  caseSensitive: z.boolean().optional(),
});
export type TCondition = z.infer<typeof ZCondition>;

export const ZFilterStep = z.object({
  kind: z.literal("filter"),
  /** all: a row stays when every condition holds; any: when one does */
  match: z.enum(["all", "any"]).default("all"),
  conditions: z.array(ZCondition).max(100).default([]),
  /** a condition in the expression language, combined with the others the same way */
  expression: z.string().max(2000).optional(),
});

export const ZDedupeStep = z.object({
  kind: z.literal("dedupe"),
  /** rows are duplicates when these match; none: when every column matches */
  columns: z.array(ZColumnRef).max(2000).default([]),
  keep: z.enum(["first", "last"]).default("first"),
});

export const ZSortStep = z.object({
  kind: z.literal("sort"),
  keys: z
    .array(z.object({ column: ZColumnRef, descending: z.boolean().default(false) }))
    .min(1, "Sort on at least one column.")
    .max(50),
});

export const ZLimitStep = z.object({
  kind: z.literal("limit"),
  rows: z.number().int().min(0).max(1_000_000_000),
  offset: z.number().int().min(0).max(1_000_000_000).default(0),
});

export const ZComputeStep = z.object({
  kind: z.literal("compute"),
  name: ZColumnName,
  expression: z.string().trim().min(1, "Write an expression.").max(2000),
});

export const AGGREGATES = [
  "count",
  "count_distinct",
  "sum",
  "mean",
  "min",
  "max",
  "first",
  "last",
] as const;
export type TAggregate = (typeof AGGREGATES)[number];

export const ZGroupStep = z.object({
  kind: z.literal("group"),
  by: z.array(ZColumnRef).max(100).default([]),
  aggregates: z
    .array(
      z.object({
        function: z.enum(AGGREGATES),
        /** not needed for count: it then counts rows */
        column: ZColumnRef.optional(),
        name: ZColumnName.optional(),
      }),
    )
    .max(200)
    .default([]),
});

export const ZJoinStep = z.object({
  kind: z.literal("join"),
  /** the table looked up */
  tableId: z.string().min(1),
  type: z.enum(["left", "inner"]).default("left"),
  on: z
    .array(z.object({ left: ZColumnRef, right: ZColumnName }))
    .min(1, "Match at least one column."),
  /** the looked-up table's columns added (none: all but the matched ones) */
  columns: z.array(ZColumnName).max(2000).default([]),
});

export const ZStep = z.discriminatedUnion("kind", [
  ZSelectStep,
  ZRenameStep,
  ZCastStep,
  ZFilterStep,
  ZDedupeStep,
  ZSortStep,
  ZLimitStep,
  ZComputeStep,
  ZGroupStep,
  ZJoinStep,
]);
export type TStep = z.infer<typeof ZStep>;
export type TStepKind = TStep["kind"];

export const ZSteps = z.array(ZStep).max(200);

/** What each kind of step is called in the editor and in messages. */
export const STEP_LABELS: Record<TStepKind, string> = {
  select: "Choose columns",
  rename: "Rename columns",
  cast: "Change types",
  filter: "Filter rows",
  dedupe: "Remove duplicates",
  sort: "Sort",
  limit: "Limit rows",
  compute: "Computed column",
  group: "Group and summarise",
  join: "Look up from another table",
};
