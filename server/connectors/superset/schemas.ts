import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "../types";

// What a Superset connector and its reports are made of: the server validates with these and the
// browser's forms are generated from them, so this file must stay free of server-only imports.

const ZFields = z.object({
  username: z.string().trim().min(1, "a user name is required").meta({ title: "User name" }),
  password: z.string().optional().meta({ title: "Password" }),
  provider: z
    .enum(["db", "ldap"])
    .default("db")
    .meta({
      title: "Account type",
      options: { db: "Superset database user", ldap: "LDAP user" },
    }),
});
const SECRETS = { password: true } as const;
export const ZSupersetSettings = ZFields.omit(SECRETS);
export const ZSupersetSecrets = ZFields.pick(SECRETS);

export const ZSupersetQuery = z
  .discriminatedUnion("target", [
    z.object({
      target: z.literal("chart").meta({ title: "A saved chart" }),
      chartId: z.number().int().positive().meta({ title: "Chart id" }),
    }),
    z.object({
      target: z.literal("payload").meta({ title: "A chart-data request (JSON payload)" }),
      /** a chart-data query context, as Superset's own UI sends it */
      payload: z.record(z.string(), z.unknown()).meta({
        title: "Payload (JSON)",
        placeholder:
          '{"datasource":{"id":7,"type":"table"},"queries":[{"columns":["region"],"metrics":["count"],"row_limit":10000}]}',
      }),
    }),
  ])
  .meta({ title: "Fetch" });

export const supersetSchemas = {
  kind: "superset",
  label: "Superset",
  addressHint: "e.g. https://superset.example.com",
  settingsSchema: ZSupersetSettings,
  secretsSchema: ZSupersetSecrets,
  formSchema: ZFields,
  querySchema: ZSupersetQuery,
} satisfies TConnectorSchemas;
