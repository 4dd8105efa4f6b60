import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "../types";

// What a Looker connector and its reports are made of: the server validates with these and the
// browser's forms are generated from them, so this file must stay free of server-only imports.

const ZFields = z.object({
  clientId: z.string().trim().min(1, "Give the API client id.").meta({ title: "Client id" }),
  clientSecret: z.string().optional().meta({ title: "Client secret" }),
  datagroup: z.string().trim().default("").meta({
    title: "Datagroup to refresh",
    placeholder: "model::datagroup, e.g. thelook::orders_datagroup",
    description:
      "Refresh marks its cache stale and triggers it, so Looker queries the database again.",
  }),
  derivedTable: z
    .string()
    .trim()
    .default("")
    .refine(
      (value) => value === "" || /^[^/\s]+\/[^/\s]+$/.test(value),
      "Write the derived table as model/view.",
    )
    .meta({
      title: "Derived table to rebuild",
      placeholder: "model/view, e.g. thelook/daily_orders",
    }),
});
const SECRETS = { clientSecret: true } as const;
export const ZLookerSettings = ZFields.omit(SECRETS);
export const ZLookerSecrets = ZFields.pick(SECRETS);

export const ZLookerQuery = z
  .discriminatedUnion("target", [
    z.object({
      target: z.literal("look").meta({ title: "A saved Look" }),
      lookId: z.number().int().positive().meta({ title: "Look id" }),
    }),
    z.object({
      target: z.literal("query").meta({ title: "A saved query" }),
      queryId: z.number().int().positive().meta({ title: "Query id" }),
    }),
    z.object({
      target: z.literal("inline").meta({ title: "A query (JSON)" }),
      /** Looker's Query body: model, view (the explore), fields, filters, sorts, limit */
      query: z
        .record(z.string(), z.unknown())
        .refine(
          (q) => typeof q.model === "string" && typeof q.view === "string",
          "The query needs a model and a view (its explore).",
        )
        .meta({
          title: "Query (JSON)",
          placeholder:
            '{"model":"thelook","view":"orders","fields":["orders.status","orders.count"],"limit":"-1"}',
        }),
    }),
  ])
  .meta({ title: "Fetch" });

export const lookerSchemas = {
  kind: "looker",
  label: "Looker",
  addressHint: "your instance, e.g. https://example.cloud.looker.com",
  settingsSchema: ZLookerSettings,
  secretsSchema: ZLookerSecrets,
  formSchema: ZFields,
  querySchema: ZLookerQuery,
  destination: {
    takesRows: false,
    canRefresh: true,
    takesFiles: false,
    note: "Looker takes no rows: it reads the database it is modelled on. As a destination it can only refresh: mark a datagroup's cache stale and trigger it, or rebuild a derived table. To get a table's rows into Looker, push them to Google Sheets or a database Looker reads, then refresh here.",
  },
} satisfies TConnectorSchemas;
